//! The one error type that crosses to the welcome page: what failed, why, what to do.

use hublink_core::Error;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}: {cause}")]
pub struct UiError {
    pub code: &'static str,
    pub message: String,
    pub cause: String,
    pub next_step: String,
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError { code: e.code(), message: e.message(), cause: e.cause(), next_step: e.next_step() }
    }
}

impl From<&Error> for UiError {
    fn from(e: &Error) -> Self {
        UiError { code: e.code(), message: e.message(), cause: e.cause(), next_step: e.next_step() }
    }
}

pub type Result<T> = std::result::Result<T, UiError>;
