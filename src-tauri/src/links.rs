//! Links that arrive from the OS — a clicked `hublink://` link, a second instance's
//! arguments, the arguments this instance was started with — wait here until the welcome page
//! takes them, so a link that starts the app is never lost. Nothing here trusts a link: the
//! page hands each one to `prepare_add`, which validates it.

use std::sync::Mutex;

#[derive(Default)]
pub struct PendingLinks {
    queue: Mutex<Vec<String>>,
}

impl PendingLinks {
    /// Queue every argument that looks like a `hublink:` link; returns how many were queued.
    pub fn push_args<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, args: I) -> usize {
        let Ok(mut queue) = self.queue.lock() else { return 0 };
        let before = queue.len();
        queue.extend(args.into_iter().map(|a| a.as_ref().trim().to_owned()).filter(|a| is_hublink(a)));
        queue.len() - before
    }

    pub fn take(&self) -> Vec<String> {
        self.queue.lock().map(|mut q| std::mem::take(&mut *q)).unwrap_or_default()
    }
}

fn is_hublink(arg: &str) -> bool {
    arg.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("hublink:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_hublink_arguments_until_taken() {
        let links = PendingLinks::default();
        let n = links.push_args(["--flag", " HUBLINK://add?url=https://a/", "https://b/", "hublink"]);
        assert_eq!(n, 1);
        assert_eq!(links.push_args(["hublink:add?url=https://c/"]), 1);
        assert_eq!(links.take(), vec!["HUBLINK://add?url=https://a/", "hublink:add?url=https://c/"]);
        assert!(links.take().is_empty());
    }
}
