//! Open enums of wire strings, declared with [`open_enum!`].

/// Declares an open enum of wire strings: known values as variants, anything else kept in
/// `Other`. Known values (the documented spelling and any listed alias) are recognised
/// ignoring ASCII case, and written back in their documented spelling.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident expecting $expecting:literal {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $canonical:literal $(| $alias:literal)*,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                $variant,
            )*
            /// Any other value, exactly as it came.
            Other(String),
        }

        impl $name {
            /// The wire spelling: the documented one for known values, the original otherwise.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $canonical, )*
                    Self::Other(other) => other,
                }
            }

            /// Recognises a known value without allocating.
            fn known(value: &str) -> Option<Self> {
                // The documented spelling, as Adobe sends it, first: compared whole, it
                // spares the byte-by-byte comparisons that ignore case.
                $(
                    if value == $canonical {
                        return Some(Self::$variant);
                    }
                )*
                $(
                    if value.eq_ignore_ascii_case($canonical)
                        $(|| value.eq_ignore_ascii_case($alias))*
                    {
                        // Another spelling: a field that keeps it takes it from here.
                        $crate::json::spelling::note(value);
                        return Some(Self::$variant);
                    }
                )*
                None
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::known(&value).unwrap_or(Self::Other(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct StrVisitor;

                impl<'de> serde::de::Visitor<'de> for StrVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(StrVisitor)
            }
        }
    };
}

pub(crate) use open_enum;
