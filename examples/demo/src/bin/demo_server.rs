//! A small HTTP/1.1 service for cargo-perf-gate's service benchmarks, with nothing to install:
//! the standard library only, one thread per keep-alive connection.
//!
//! - `GET /health`: `ok`.
//! - `GET /checksum?n=N`: the Adler-32 of N bytes, computed with `demo::adler32`.
//!
//! Options (for tests that need a server with known behaviour):
//! `--port P` (0: any free port, printed on stdout), `--delay-ms D` (every request waits D ms),
//! `--stall-once-ms S --stall-at K` (request number K, counted from 1, waits S ms once),
//! `--error-every N` (every N-th request answers 500).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
struct Behaviour {
    delay_ms: u64,
    stall_once_ms: u64,
    stall_at: u64,
    error_every: u64,
}

fn main() {
    let mut port = 8080u16;
    let mut behaviour = Behaviour { stall_at: 1, ..Behaviour::default() };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let number = || value.parse::<u64>().unwrap_or_else(|_| fail(&format!("{flag} needs a number, got `{value}`")));
        match flag.as_str() {
            "--port" => port = u16::try_from(number()).unwrap_or_else(|_| fail("--port is 0..65535")),
            "--delay-ms" => behaviour.delay_ms = number(),
            "--stall-once-ms" => behaviour.stall_once_ms = number(),
            "--stall-at" => behaviour.stall_at = number(),
            "--error-every" => behaviour.error_every = number(),
            other => fail(&format!("unknown option {other}")),
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port))
        .unwrap_or_else(|e| fail(&format!("cannot listen on 127.0.0.1:{port}: {e}")));
    let address = listener.local_addr().unwrap_or_else(|e| fail(&e.to_string()));
    println!("demo_server listening on http://{address}");
    let served = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming().flatten() {
        let served = served.clone();
        std::thread::spawn(move || {
            let _ = serve(stream, behaviour, &served);
        });
    }
}

fn fail(message: &str) -> ! {
    eprintln!("demo_server: {message}");
    std::process::exit(2);
}

/// Answers the requests of one connection until the client closes it.
fn serve(stream: TcpStream, behaviour: Behaviour, served: &AtomicU64) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut content_length = 0usize;
        let mut close = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => content_length = value.trim().parse().unwrap_or(0),
                    "connection" => close = value.trim().eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;

        let number = served.fetch_add(1, Ordering::Relaxed) + 1;
        if behaviour.delay_ms > 0 {
            std::thread::sleep(Duration::from_millis(behaviour.delay_ms));
        }
        if behaviour.stall_once_ms > 0 && number == behaviour.stall_at {
            std::thread::sleep(Duration::from_millis(behaviour.stall_once_ms));
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/");
        let (status, text) = if behaviour.error_every > 0 && number.is_multiple_of(behaviour.error_every) {
            ("500 Internal Server Error", "injected error".to_owned())
        } else {
            respond(target)
        };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n{text}",
            text.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        writer.write_all(response.as_bytes())?;
        if close {
            return Ok(());
        }
    }
}

fn respond(target: &str) -> (&'static str, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/health" => ("200 OK", "ok".to_owned()),
        "/checksum" => {
            let n = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("n="))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(4096);
            let data: Vec<u8> = (0..n.min(16 << 20)).map(|i| (i % 251) as u8).collect();
            ("200 OK", format!("{:08x}", demo::adler32(&data)))
        }
        _ => ("404 Not Found", "not found".to_owned()),
    }
}
