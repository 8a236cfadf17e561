//! The time, as a capability: production reads the system clock; tests move their own.

use time::OffsetDateTime;

/// What time it is now. Session lifetimes (`expires_at`, `max_session_days`, refresh margins)
/// are judged by it; ID-token `exp`/`iat` are judged by the real clock (the provider's own).
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
