//! What other processes hand to this window — a clicked `hublink://` link, a second instance's
//! arguments, the arguments this instance was started with — waits here until the welcome page
//! takes it, so a link that starts the app is never lost. Nothing here trusts a link: the page
//! hands each one to `prepare_add`, which validates it.
//!
//! Links are numbered in the order they arrive (`seq`), under the same lock that takes them, so
//! the page can show them in that order however its requests interleave. Once the app starts
//! quitting nothing more is taken: the process that brought it must find a live window instead
//! (see `instance.rs`).

use std::sync::Mutex;

use hublink_core::sign_in::handoff::SignInRequest;
use serde::Serialize;

/// A link as it arrived, with its place in the order of arrival (1, 2, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingLink {
    pub seq: u64,
    pub link: String,
}

#[derive(Default)]
pub struct Inbox {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    delivered: u64,
    links: Vec<PendingLink>,
    sign_ins: Vec<SignInRequest>,
    quitting: bool,
}

/// What [`Inbox::deliver`] did with one process's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// This many links were queued (0: nothing in the arguments was for Hublink).
    Links(usize),
    /// A sign-in request from `hublink login` was queued.
    SignIn,
    /// Refused: the app is quitting.
    Quitting,
}

impl Inbox {
    /// Take one process's arguments (without the program name): its `hublink:` links, or a
    /// `--sign-in <hub> --request <id>` from `hublink login`. Refused once the app is quitting.
    pub fn deliver<S: AsRef<str>>(&self, args: &[S]) -> Delivery {
        let Ok(mut state) = self.state.lock() else { return Delivery::Quitting };
        if state.quitting {
            return Delivery::Quitting;
        }
        if let Some(request) = SignInRequest::from_args(args) {
            state.sign_ins.push(request);
            return Delivery::SignIn;
        }
        let links: Vec<String> = args.iter().map(|a| a.as_ref().trim().to_owned()).filter(|a| is_hublink(a)).collect();
        for link in &links {
            state.delivered += 1;
            let seq = state.delivered;
            state.links.push(PendingLink { seq, link: link.clone() });
        }
        Delivery::Links(links.len())
    }

    /// The links not yet taken, oldest first.
    pub fn take_links(&self) -> Vec<PendingLink> {
        self.state.lock().map(|mut s| std::mem::take(&mut s.links)).unwrap_or_default()
    }

    pub fn take_sign_ins(&self) -> Vec<SignInRequest> {
        self.state.lock().map(|mut s| std::mem::take(&mut s.sign_ins)).unwrap_or_default()
    }

    /// From now on [`Inbox::deliver`] refuses everything.
    pub fn begin_quitting(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.quitting = true;
        }
    }
}

fn is_hublink(arg: &str) -> bool {
    arg.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("hublink:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(inbox: &Inbox) -> Vec<(u64, String)> {
        inbox.take_links().into_iter().map(|l| (l.seq, l.link)).collect()
    }

    #[test]
    fn keeps_only_hublink_arguments_numbered_in_arrival_order_until_taken() {
        let inbox = Inbox::default();
        let got = inbox.deliver(&["--flag", " HUBLINK://add?url=https://a/", "https://b/", "hublink"]);
        assert_eq!(got, Delivery::Links(1));
        assert_eq!(inbox.deliver(&["hublink:add?url=https://c/"]), Delivery::Links(1));
        assert_eq!(inbox.deliver(&["--nothing"]), Delivery::Links(0));
        assert_eq!(
            links(&inbox),
            vec![(1, "HUBLINK://add?url=https://a/".to_owned()), (2, "hublink:add?url=https://c/".to_owned())]
        );
        assert!(inbox.take_links().is_empty());
        // Numbering goes on after a take: the page orders what it holds by it.
        inbox.deliver(&["hublink://add?url=https://d/"]);
        assert_eq!(links(&inbox), vec![(3, "hublink://add?url=https://d/".to_owned())]);
    }

    #[test]
    fn sign_in_requests_wait_apart_from_links() {
        let inbox = Inbox::default();
        assert_eq!(inbox.deliver(&["--sign-in", "0123456789abcdef", "--request", "r1"]), Delivery::SignIn);
        assert_eq!(inbox.take_sign_ins().len(), 1);
        assert!(inbox.take_links().is_empty());
    }

    #[test]
    fn nothing_is_taken_once_quitting() {
        let inbox = Inbox::default();
        inbox.deliver(&["hublink://add?url=https://a/"]);
        inbox.begin_quitting();
        assert_eq!(inbox.deliver(&["hublink://add?url=https://b/"]), Delivery::Quitting);
        assert_eq!(inbox.take_links().len(), 1, "what came before stays");
    }

    #[test]
    fn concurrent_deliveries_get_distinct_gapless_numbers_in_queue_order() {
        let inbox = std::sync::Arc::new(Inbox::default());
        let threads: Vec<_> = (0..20)
            .map(|i| {
                let inbox = inbox.clone();
                std::thread::spawn(move || inbox.deliver(&[format!("hublink://add?url=https://h{i}/")]))
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), Delivery::Links(1));
        }
        let seqs: Vec<u64> = inbox.take_links().iter().map(|l| l.seq).collect();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    }
}
