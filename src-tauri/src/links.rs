//! Links that arrive from the OS — a clicked `hublink://` link, a second instance's
//! arguments, the arguments this instance was started with — wait here until the welcome page
//! takes them, so a link that starts the app is never lost. Nothing here trusts a link: the
//! page hands each one to `prepare_add`, which validates it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The same link twice within this window is one click delivered by two paths.
const SAME_CLICK: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct PendingLinks {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    queue: Vec<String>,
    recent: Vec<(String, Instant)>,
}

impl PendingLinks {
    /// Queue every argument that looks like a `hublink:` link; returns how many were queued.
    pub fn push_args<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, args: I) -> usize {
        let Ok(mut inner) = self.inner.lock() else { return 0 };
        let now = Instant::now();
        inner.recent.retain(|(_, t)| now.duration_since(*t) < SAME_CLICK);
        let mut queued = 0;
        for arg in args {
            let arg = arg.as_ref().trim();
            if !is_hublink(arg) || inner.recent.iter().any(|(l, _)| l == arg) {
                continue;
            }
            inner.recent.push((arg.to_owned(), now));
            inner.queue.push(arg.to_owned());
            queued += 1;
        }
        queued
    }

    pub fn take(&self) -> Vec<String> {
        self.inner.lock().map(|mut i| std::mem::take(&mut i.queue)).unwrap_or_default()
    }
}

fn is_hublink(arg: &str) -> bool {
    arg.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("hublink:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_hublink_arguments_once_per_click() {
        let links = PendingLinks::default();
        let n = links.push_args(["/usr/bin/hublink-desktop", "--flag", "HUBLINK://add?url=https://a/", "https://b/"]);
        assert_eq!(n, 1);
        assert_eq!(links.push_args(["HUBLINK://add?url=https://a/"]), 0, "same click via a second path");
        assert_eq!(links.take(), vec!["HUBLINK://add?url=https://a/"]);
        assert!(links.take().is_empty());
    }
}
