//! The one error type that crosses to the welcome page: the core's [`ErrorReport`] — what
//! failed, why, what to do — the same shape the CLI's `--json` prints.

pub use hublink_core::ErrorReport as UiError;

pub type Result<T> = std::result::Result<T, UiError>;
