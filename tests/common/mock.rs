//! A scripted HTTP server on 127.0.0.1 for the faults a real Prometheus
//! will not produce on demand: each connection gets the next reply of the
//! script (the last one repeats), and every request is kept for asserts.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Reply {
    /// A valid matrix for the request's window: `fault_signal{pod="a"}`
    /// with value 10 at every step, plus the given warnings.
    Matrix {
        warnings: Vec<String>,
        partial: bool,
    },
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Promises more bytes than it sends, then closes.
    Cut,
    /// Waits, then answers like `Matrix`.
    Slow(Duration),
    /// A matrix with timestamps half a step off the grid.
    Misaligned,
    /// Headers promising a body, then one byte every 100 ms, for ever.
    Trickle,
    /// 302 to the same path and query under `/moved` (same origin).
    RedirectSamePath,
    /// A 200 whose body the function writes from the request's
    /// (start, end, step) in seconds.
    Body(fn(f64, f64, f64) -> String),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Matrix {
            warnings: vec![],
            partial: false,
        }
    }

    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Status {
            code,
            headers: vec![],
            body: body.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    /// The request line and headers.
    pub head: String,
}

pub struct Mock {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    pub fn start(script: Vec<Reply>) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let reply = script[n.min(script.len() - 1)].clone();
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, reply, &log));
            }
        });
        Mock { url, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, reply: Reply, log: &Mutex<Vec<Seen>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    log.lock().unwrap().push(Seen {
        at: Instant::now(),
        head: head.clone(),
    });
    let params = params(&head);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let num = |k: &str| get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let (start, end, step) = (num("start"), num("end"), num("step").max(1.0));
    let matrix = |shift: f64, warnings: &[String], partial: bool| {
        let mut values = Vec::new();
        let mut t = start;
        while t <= end {
            values.push(format!("[{},\"10\"]", t + shift));
            t += step;
        }
        let warnings: Vec<String> = warnings.iter().map(|w| format!("{w:?}")).collect();
        format!(
            r#"{{"status":"success","isPartial":{partial},"data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"fault_signal","pod":"a"}},"values":[{}]}}]}},"warnings":[{}]}}"#,
            values.join(","),
            warnings.join(",")
        )
    };
    let (code, headers, body, cut) = match reply {
        Reply::Matrix { warnings, partial } => {
            (200, vec![], matrix(0.0, &warnings, partial), false)
        }
        Reply::Slow(wait) => {
            std::thread::sleep(wait);
            (200, vec![], matrix(0.0, &[], false), false)
        }
        Reply::Misaligned => (200, vec![], matrix(step / 2.0, &[], false), false),
        Reply::Body(write) => (200, vec![], write(start, end, step), false),
        Reply::RedirectSamePath => {
            let target = head
                .lines()
                .next()
                .unwrap_or("")
                .split(' ')
                .nth(1)
                .unwrap_or("/");
            (
                302,
                vec![("Location".to_string(), format!("/moved{target}"))],
                String::new(),
                false,
            )
        }
        Reply::Trickle => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[",
            );
            // Ends when the client hangs up.
            while stream.write_all(b" ").and_then(|()| stream.flush()).is_ok() {
                std::thread::sleep(Duration::from_millis(100));
            }
            return;
        }
        Reply::Cut => (200, vec![], matrix(0.0, &[], false), true),
        Reply::Status {
            code,
            headers,
            body,
        } => (code, headers, body, false),
    };
    let mut response = format!(
        "HTTP/1.1 {code} Whatever\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        if cut { body.len() + 1000 } else { body.len() }
    );
    for (k, v) in headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    let body = if cut {
        &body[..body.len() / 2]
    } else {
        &body[..]
    };
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// Query parameters of the request line, percent-decoded.
fn params(head: &str) -> Vec<(String, String)> {
    let line = head.lines().next().unwrap_or("");
    let target = line.split(' ').nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
