//! A loopback HTTP/1.1 file server for fixture repositories, with injectable faults and a
//! request log. Bound to 127.0.0.1 on a free port; stops when dropped.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A fault served instead of (or on top of) the file, once per queued entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 404.
    NotFound,
    /// This status with an empty body.
    Status(u16),
    /// Announce the full length, send only this many bytes, close.
    Truncate(usize),
    /// Flip the first byte of the body.
    Corrupt,
    /// Wait before answering.
    Delay(Duration),
}

#[derive(Default)]
struct Shared {
    faults: HashMap<String, VecDeque<Fault>>,
    log: Vec<String>,
}

/// The server.
pub struct TestServer {
    address: String,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Shared>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves `root` on 127.0.0.1.
    pub fn serve(root: PathBuf) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (stop2, shared2) = (stop.clone(), shared.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (root, shared) = (root.clone(), shared2.clone());
                std::thread::spawn(move || handle(stream, &root, &shared));
            }
        });
        TestServer {
            address,
            stop,
            shared,
            thread: Some(thread),
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.address
    }

    /// Queues `fault` for the next `times` requests of `path` (e.g. `/dists/s/InRelease`).
    pub fn fault(&self, path: &str, fault: Fault, times: usize) {
        let mut shared = self.shared.lock().unwrap();
        let queue = shared.faults.entry(path.to_owned()).or_default();
        for _ in 0..times {
            queue.push_back(fault.clone());
        }
    }

    /// Paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared.lock().unwrap().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().unwrap().log.clear();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.address.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn handle(mut stream: TcpStream, root: &std::path::Path, shared: &Mutex<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let fault = {
        let mut shared = shared.lock().unwrap();
        shared.log.push(path.clone());
        shared.faults.get_mut(&path).and_then(VecDeque::pop_front)
    };
    let file = root.join(path.trim_start_matches('/'));
    let body = if path.contains("..") {
        None
    } else {
        std::fs::read(&file).ok().filter(|_| file.is_file())
    };
    let respond = |stream: &mut TcpStream, status: u16, body: &[u8], announced: usize| {
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            _ => "Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
        let _ = stream.flush();
    };
    match (fault, body) {
        (Some(Fault::Delay(delay)), body) => {
            std::thread::sleep(delay);
            match body {
                Some(body) => respond(&mut stream, 200, &body, body.len()),
                None => respond(&mut stream, 404, b"", 0),
            }
        }
        (Some(Fault::NotFound), _) | (None, None) => respond(&mut stream, 404, b"", 0),
        (Some(Fault::Status(status)), _) => respond(&mut stream, status, b"", 0),
        (Some(Fault::Truncate(n)), Some(body)) => {
            respond(&mut stream, 200, &body[..n.min(body.len())], body.len())
        }
        (Some(Fault::Corrupt), Some(mut body)) => {
            if let Some(first) = body.first_mut() {
                *first ^= 0xff;
            }
            respond(&mut stream, 200, &body, body.len())
        }
        (Some(_), None) => respond(&mut stream, 404, b"", 0),
        (None, Some(body)) => respond(&mut stream, 200, &body, body.len()),
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
