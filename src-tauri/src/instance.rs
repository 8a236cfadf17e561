//! One running Hublink per user and state folder (Linux), and the hand-over of a second
//! process's arguments (a clicked link) to it.
//!
//! The running instance listens on an abstract Unix socket named after the user and the state
//! folder: no D-Bus (it works with no session bus or a broken one), no file (it works with a
//! read-only state folder, and nothing stale is left when a process dies). A second process
//! connects, sends its arguments, and exits only when the running instance answers that it took
//! them. A running instance that is quitting refuses, then stops listening; the second process
//! waits for the name and becomes the running instance itself — so a link is never handed to a
//! window that is going away. Hand-overs are answered one at a time in the order they arrive,
//! which is the order the links are numbered and shown in. Both sides check that the other is
//! the same user (`SO_PEERCRED`).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const ACCEPTED: &str = "accepted";
const REFUSED: &str = "quitting";
const MAX_REQUEST: u64 = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a new process waits for a quitting instance to let go of the name.
const TAKE_OVER_WAIT: Duration = Duration::from_secs(10);

/// What this process is, once it has looked for a running instance.
pub enum Claim {
    /// The running instance: serve hand-overs with [`Instance::serve`].
    First(Instance),
    /// The running instance took our arguments: exit.
    HandedOver,
    /// Neither could be done: run on our own, and say why.
    Alone(String),
}

pub struct Instance {
    listener: UnixListener,
    name: String,
}

/// Stops serving hand-overs (see [`Instance::serve`]).
pub struct Serving {
    name: String,
    stopped: Arc<AtomicBool>,
}

/// The socket name for `key` (the state folder's keyring namespace, `hublink` by default).
pub fn name_for(key: &str) -> String {
    format!("app.hublink.desktop/{}/{key}", rustix::process::getuid().as_raw())
}

/// Become the running instance for `name`, or hand `args` to the one that runs.
pub fn claim(name: &str, args: &[String]) -> Claim {
    let deadline = Instant::now() + TAKE_OVER_WAIT;
    let mut pause = Duration::from_millis(10);
    let mut last;
    loop {
        match bind(name) {
            Ok(listener) => return Claim::First(Instance { listener, name: name.to_owned() }),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => return Claim::Alone(format!("this window cannot receive links from other processes ({e})")),
        }
        match hand_over(name, args) {
            Ok(true) => return Claim::HandedOver,
            Ok(false) => last = "the running Hublink is quitting".into(),
            Err(HandOver::NotOurs(uid)) => {
                return Claim::Alone(format!(
                    "a program of another user (uid {uid}) holds Hublink's instance name, so links from other processes open a separate window"
                ));
            }
            // Gone meanwhile, or not answering: try again until the deadline.
            Err(HandOver::Io(e)) => last = e.to_string(),
        }
        if Instant::now() >= deadline {
            return Claim::Alone(format!(
                "another Hublink is running but did not take this window's links ({last}); links open separate windows until it ends"
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

fn address(name: &str) -> std::io::Result<SocketAddr> {
    SocketAddr::from_abstract_name(name.as_bytes())
}

fn bind(name: &str) -> std::io::Result<UnixListener> {
    UnixListener::bind_addr(&address(name)?)
}

enum HandOver {
    NotOurs(u32),
    Io(std::io::Error),
}

impl From<std::io::Error> for HandOver {
    fn from(e: std::io::Error) -> Self {
        HandOver::Io(e)
    }
}

/// Send `args` to the running instance; whether it took them.
fn hand_over(name: &str, args: &[String]) -> Result<bool, HandOver> {
    let mut stream = UnixStream::connect_addr(&address(name)?)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let peer = peer_uid(&stream)?;
    if peer != rustix::process::getuid().as_raw() {
        return Err(HandOver::NotOurs(peer));
    }
    let mut request = serde_json::to_vec(args).map_err(std::io::Error::other)?;
    request.push(b'\n');
    stream.write_all(&request)?;
    let mut answer = String::new();
    BufReader::new(stream.take(64)).read_line(&mut answer)?;
    Ok(answer.trim() == ACCEPTED)
}

fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    Ok(rustix::net::sockopt::socket_peercred(stream)?.uid.as_raw())
}

impl Instance {
    /// Answer hand-overs on a thread of their own, one at a time, in the order they arrive:
    /// `deliver` gets each process's arguments and says whether it took them (it refuses while
    /// quitting). [`Serving::stop`] ends it and frees the name.
    pub fn serve(self, deliver: impl Fn(Vec<String>) -> bool + Send + 'static) -> std::io::Result<Serving> {
        let stopped = Arc::new(AtomicBool::new(false));
        let serving = Serving { name: self.name.clone(), stopped: stopped.clone() };
        std::thread::Builder::new().name("hand-over".into()).spawn(move || {
            let mut pause = Duration::from_millis(10);
            for stream in self.listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                match stream {
                    Ok(stream) => {
                        pause = Duration::from_millis(10);
                        answer(stream, &deliver);
                    }
                    // Out of descriptors, say: wait rather than spin.
                    Err(e) => {
                        log::warn!("could not accept a hand-over: {e}");
                        std::thread::sleep(pause);
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                }
            }
            refuse_waiting(&self.listener);
        })?;
        Ok(serving)
    }
}

/// Take one hand-over: only from this user; the answer says whether `deliver` took it.
fn answer(mut stream: UnixStream, deliver: &impl Fn(Vec<String>) -> bool) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    match peer_uid(&stream) {
        Ok(uid) if uid == rustix::process::getuid().as_raw() => {}
        Ok(uid) => return log::warn!("ignored a hand-over from another user (uid {uid})"),
        Err(e) => return log::warn!("ignored a hand-over whose sender is unknown: {e}"),
    }
    let mut line = String::new();
    let read = BufReader::new((&stream).take(MAX_REQUEST)).read_line(&mut line);
    let Some(args) = read.ok().and_then(|_| serde_json::from_str::<Vec<String>>(&line).ok()) else {
        return log::warn!("ignored a hand-over that could not be read");
    };
    let taken = deliver(args);
    let _ = stream.write_all(format!("{}\n", if taken { ACCEPTED } else { REFUSED }).as_bytes());
}

/// After stopping: refuse the hand-overs already waiting, so their processes look elsewhere at
/// once; the listener closes when it is dropped, and the name is free.
fn refuse_waiting(listener: &UnixListener) {
    if listener.set_nonblocking(true).is_err() {
        return;
    }
    while let Ok((mut stream, _)) = listener.accept() {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let _ = stream.write_all(format!("{REFUSED}\n").as_bytes());
    }
}

impl Serving {
    /// Stop taking hand-overs and free the name (idempotent). Waiting processes are refused
    /// and become the running instance themselves.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the thread blocked in accept; it sees `stopped` and lets go.
        if let Ok(addr) = address(&self.name) {
            let _ = UnixStream::connect_addr(&addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn unique_name(test: &str) -> String {
        name_for(&format!("test-{test}-{}-{:?}", std::process::id(), Instant::now()))
    }

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn the_first_serves_and_a_second_hands_over_in_order() {
        let name = unique_name("order");
        let Claim::First(first) = claim(&name, &[]) else { panic!("nothing runs yet") };
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let serving = first
            .serve(move |a| {
                sink.lock().unwrap().push(a);
                true
            })
            .unwrap();
        for i in 0..5 {
            let link = format!("hublink://add?url=https://h{i}/");
            assert!(matches!(claim(&name, std::slice::from_ref(&link)), Claim::HandedOver));
        }
        let expected: Vec<Vec<String>> = (0..5).map(|i| vec![format!("hublink://add?url=https://h{i}/")]).collect();
        assert_eq!(*got.lock().unwrap(), expected);
        serving.stop();
    }

    #[test]
    fn twenty_at_once_are_each_taken_exactly_once() {
        let name = unique_name("burst");
        let Claim::First(first) = claim(&name, &[]) else { panic!("nothing runs yet") };
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let serving = first
            .serve(move |a| {
                sink.lock().unwrap().extend(a);
                true
            })
            .unwrap();
        let senders: Vec<_> = (0..20)
            .map(|i| {
                let name = name.clone();
                std::thread::spawn(move || matches!(claim(&name, &[format!("link-{i}")]), Claim::HandedOver))
            })
            .collect();
        assert!(senders.into_iter().all(|t| t.join().unwrap()), "every sender was told its link was taken");
        let mut got = got.lock().unwrap().clone();
        got.sort();
        let mut expected: Vec<String> = (0..20).map(|i| format!("link-{i}")).collect();
        expected.sort();
        assert_eq!(got, expected, "none lost, none twice");
        serving.stop();
    }

    #[test]
    fn a_quitting_instance_refuses_and_the_newcomer_takes_over() {
        let name = unique_name("quit");
        let Claim::First(first) = claim(&name, &[]) else { panic!("nothing runs yet") };
        let quitting = Arc::new(AtomicBool::new(true));
        let refusing = quitting.clone();
        let serving = first.serve(move |_| !refusing.load(Ordering::SeqCst)).unwrap();
        // The running instance is quitting: it refuses, and lets go of the name a moment later.
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            serving.stop();
        });
        let started = Instant::now();
        let newcomer = claim(&name, &args(&["hublink://add?url=https://late/"]));
        assert!(matches!(newcomer, Claim::First(_)), "the newcomer must run the window itself");
        assert!(started.elapsed() >= Duration::from_millis(250), "it waited for the name");
        stopper.join().unwrap();
    }

    #[test]
    fn a_stopped_instance_frees_the_name_at_once() {
        let name = unique_name("stop");
        let Claim::First(first) = claim(&name, &[]) else { panic!() };
        let serving = first.serve(|_| true).unwrap();
        serving.stop();
        let started = Instant::now();
        loop {
            if let Claim::First(_) = claim(&name, &[]) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(2), "the name stayed taken");
        }
    }

    #[test]
    fn a_silent_client_does_not_block_the_next_hand_over_for_long() {
        let name = unique_name("silent");
        let Claim::First(first) = claim(&name, &[]) else { panic!() };
        let serving = first.serve(|_| true).unwrap();
        let _silent = UnixStream::connect_addr(&address(&name).unwrap()).unwrap();
        let started = Instant::now();
        assert!(matches!(claim(&name, &args(&["hublink://add?url=https://x/"])), Claim::HandedOver));
        assert!(started.elapsed() < IO_TIMEOUT + Duration::from_secs(2));
        serving.stop();
    }
}
