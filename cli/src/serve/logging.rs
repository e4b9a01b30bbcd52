//! Logs through `tracing`, on standard error: text lines or JSON lines. Text that came in a
//! request is logged through `Debug` (`?field`), which escapes control characters, so that
//! no request forges a line.

use super::config::LogFormat;

/// Installs the subscriber (info and above).
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_target(false);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(error) = installed {
        eprintln!("serve: logs not set up: {error}");
    }
}
