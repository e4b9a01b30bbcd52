//! What the crate's pluggable traits return (boxed futures, boxed errors), and one way to
//! forward those traits through references and smart pointers.
//!
//! The stores, key sources, token providers and clocks are used as `dyn Trait` (a receiver
//! holds any store its user picks), so their methods return boxed futures.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The future a pluggable trait's method returns ([`DedupStore`](crate::store::DedupStore),
/// [`KeySource`](crate::webhook::KeySource), ...): boxed and `Send`, so that the traits can
/// be used as `dyn Trait`. Methods name their output in full, error included:
/// `BoxFuture<'a, Result<Claim, StoreError>>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Any error, boxed: what a user's [`KeySource`](crate::webhook::KeySource) or
/// [`TokenProvider`](crate::journal::TokenProvider) may fail with. The crate keeps it as the
/// [`source`](std::error::Error::source) of its own error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An underlying error kept as the source of one of the crate's errors, shared so that the
/// errors holding it can be cloned.
#[derive(Clone)]
pub struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

impl fmt::Debug for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Two underlying errors are equal when they say the same.
impl PartialEq for SharedError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for SharedError {}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<BoxError> for SharedError {
    fn from(error: BoxError) -> Self {
        SharedError(Arc::from(error))
    }
}

/// Implements a trait for `&T`, `Box<T>` and `Arc<T>` by forwarding each method to `T`.
///
/// ```ignore
/// forward_impls!(DedupStore {
///     fn claim<'a>(&'a self, keys: &'a [EventKey], lease: Duration) -> BoxFuture<'a, ...>;
/// });
/// ```
macro_rules! forward_impls {
    ($trait:ident { $(
        fn $name:ident $(<$lifetime:lifetime>)? (& $($self_lifetime:lifetime)? self $(, $arg:ident : $ty:ty)* $(,)?) $(-> $output:ty)?;
    )* }) => {
        forward_impls!(@one [&T] $trait { $( fn $name $(<$lifetime>)? (& $($self_lifetime)? self $(, $arg: $ty)*) $(-> $output)?; )* });
        forward_impls!(@one [Box<T>] $trait { $( fn $name $(<$lifetime>)? (& $($self_lifetime)? self $(, $arg: $ty)*) $(-> $output)?; )* });
        forward_impls!(@one [std::sync::Arc<T>] $trait { $( fn $name $(<$lifetime>)? (& $($self_lifetime)? self $(, $arg: $ty)*) $(-> $output)?; )* });
    };
    (@one [$($pointer:tt)*] $trait:ident { $(
        fn $name:ident $(<$lifetime:lifetime>)? (& $($self_lifetime:lifetime)? self $(, $arg:ident : $ty:ty)*) $(-> $output:ty)?;
    )* }) => {
        impl<T: $trait + ?Sized> $trait for $($pointer)* {
            $(
                fn $name $(<$lifetime>)? (& $($self_lifetime)? self $(, $arg: $ty)*) $(-> $output)? {
                    (**self).$name($($arg),*)
                }
            )*
        }
    };
}

pub(crate) use forward_impls;
