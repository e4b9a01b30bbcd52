//! Text that came from a request or a server, made safe to keep in an error.

/// The first `max_chars` characters of `text`: what came from outside is bounded before it
/// goes into an error.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
