// echo: a WASI preview1 command (runtime `wasi`) that turns a JSON event into a JSON answer.
//
// Build (npm run build:wasi, or by hand; std only, no crates, no Cargo, Rust 1.63+):
//   rustc --target wasm32-wasi -C opt-level=s -C lto -C strip=symbols \
//     -o functions/build/wasi-rust-echo.wasm functions/wasi/rust/echo.rs
//   (Debian: apt-get install rustc libstd-rust-dev-wasm32, and use /usr/bin/rustc; newer
//   toolchains call the target wasm32-wasip1)
//
// stdin:  the event, e.g. {"name":"ada","items":[1,2,3]}
//         name  - a string, "world" when absent
//         items - an array of safe integers (|n| <= 2^53 - 1, as JavaScript reads them), [] when
//                 absent
//         other keys are ignored; when a key repeats, the last one counts (as in JSON.parse)
// stdout: {"greeting":"Hello, ada!","count":3,"sum":6,"env":<GREETING as a string, or null>}
//         (no trailing newline; strings escaped the way JSON.stringify escapes them)
// stderr: one log line per call: "echo: <n> bytes", or "echo: <n> bytes, error: <reason>"
//         for an event that is not UTF-8, not JSON, not an object, or has a bad name or items
//         (nothing on stdout then, exit status 1)
// env:    GREETING (set it with UpdateFunctionConfiguration)
//
// functions/wasi/c/echo.c answers byte for byte the same.

use std::io::{Read, Write};

const NOT_JSON: &str = "event is not JSON";

/// The parser over the event's bytes (already checked to be UTF-8).
struct Parser<'a> {
    s: &'a [u8],
    p: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.p).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.p += 1;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.p..self.p + 4)?;
        let mut v = 0;
        for &c in digits {
            v = v << 4 | (c as char).to_digit(16)?;
        }
        self.p += 4;
        Some(v)
    }

    /// Reads a string at `"`; decodes it into `out` (WTF-8: a lone surrogate keeps its 3-byte form).
    fn string(&mut self, mut out: Option<&mut Vec<u8>>) -> bool {
        self.p += 1;
        loop {
            let c = match self.peek() {
                Some(c) => c,
                None => return false,
            };
            self.p += 1;
            if c == b'"' {
                return true;
            }
            if c < 0x20 {
                return false;
            }
            if c != b'\\' {
                if let Some(out) = out.as_deref_mut() {
                    out.push(c);
                }
                continue;
            }
            let e = match self.peek() {
                Some(e) => e,
                None => return false,
            };
            self.p += 1;
            let cp = match e {
                b'"' | b'\\' | b'/' => e as u32,
                b'b' => 8,
                b'f' => 12,
                b'n' => 10,
                b'r' => 13,
                b't' => 9,
                b'u' => {
                    let mut cp = match self.hex4() {
                        Some(cp) => cp,
                        None => return false,
                    };
                    // A high surrogate escape followed by a low one is one code point.
                    if (0xd800..=0xdbff).contains(&cp) && self.s[self.p..].starts_with(b"\\u") {
                        let mut look = Parser {
                            s: self.s,
                            p: self.p + 2,
                        };
                        if let Some(lo @ 0xdc00..=0xdfff) = look.hex4() {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            self.p = look.p;
                        }
                    }
                    cp
                }
                _ => return false,
            };
            if let Some(out) = out.as_deref_mut() {
                put_cp(out, cp);
            }
        }
    }

    fn digits(&mut self) -> bool {
        let start = self.p;
        while let Some(b'0'..=b'9') = self.peek() {
            self.p += 1;
        }
        self.p > start
    }

    /// Reads a number (JSON's grammar) and its value, rounded to a double as JavaScript does.
    fn number(&mut self) -> Option<f64> {
        let start = self.p;
        if self.peek() == Some(b'-') {
            self.p += 1;
        }
        if self.peek() == Some(b'0') {
            self.p += 1;
        } else if !self.digits() {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.p += 1;
            if !self.digits() {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.p += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.p += 1;
            }
            if !self.digits() {
                return None;
            }
        }
        std::str::from_utf8(&self.s[start..self.p])
            .ok()?
            .parse()
            .ok()
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.s[self.p..].starts_with(word) {
            self.p += word.len();
            true
        } else {
            false
        }
    }

    /// Skips any value (with leading whitespace), checking its syntax; iterative, so any depth.
    fn value(&mut self) -> bool {
        let mut stack: Vec<u8> = Vec::new(); // one byte per open container: '[' or '{'
        'value: loop {
            self.ws();
            let mut want_key = false;
            match self.peek() {
                Some(c @ (b'[' | b'{')) => {
                    self.p += 1;
                    self.ws();
                    if self.peek() == Some(if c == b'[' { b']' } else { b'}' }) {
                        self.p += 1;
                    } else {
                        stack.push(c);
                        if c == b'[' {
                            continue 'value;
                        }
                        want_key = true;
                    }
                }
                Some(b'"') => {
                    if !self.string(None) {
                        return false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if self.number().is_none() {
                        return false;
                    }
                }
                _ => {
                    if !self.literal(b"true") && !self.literal(b"false") && !self.literal(b"null") {
                        return false;
                    }
                }
            }
            // After a value: close containers, or go on to the next element or member.
            while !want_key {
                let open = match stack.last() {
                    Some(&open) => open,
                    None => return true,
                };
                self.ws();
                let c = self.peek();
                if c == Some(b',') {
                    self.p += 1;
                    if open == b'[' {
                        continue 'value;
                    }
                    want_key = true;
                } else if c == Some(if open == b'[' { b']' } else { b'}' }) {
                    self.p += 1;
                    stack.pop();
                } else {
                    return false;
                }
            }
            self.ws();
            if self.peek() != Some(b'"') || !self.string(None) {
                return false;
            }
            self.ws();
            if self.peek() != Some(b':') {
                return false;
            }
            self.p += 1;
        }
    }
}

/// Appends code point cp as UTF-8; a lone surrogate becomes its 3-byte form (WTF-8).
fn put_cp(b: &mut Vec<u8>, cp: u32) {
    if cp < 0x80 {
        b.push(cp as u8);
    } else if cp < 0x800 {
        b.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]);
    } else if cp < 0x10000 {
        b.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]);
    } else {
        b.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]);
    }
}

#[derive(PartialEq)]
enum State {
    Absent,
    Good,
    Bad,
}

/// The parts of the event the answer needs.
struct Event {
    name_state: State,
    items_state: State,
    name: Vec<u8>,
    count: usize,
    sum: i128,
}

/// Reads the value of "items": an array of safe integers is Good.
fn items(ps: &mut Parser, ev: &mut Event) -> bool {
    ps.ws();
    ev.count = 0;
    ev.sum = 0;
    ev.items_state = State::Bad;
    if ps.peek() != Some(b'[') {
        return ps.value();
    }
    ps.p += 1;
    ps.ws();
    let mut good = true;
    if ps.peek() == Some(b']') {
        ps.p += 1;
    } else {
        loop {
            ps.ws();
            if let Some(b'-' | b'0'..=b'9') = ps.peek() {
                let v = match ps.number() {
                    Some(v) => v,
                    None => return false,
                };
                // An integer JavaScript holds exactly (Number.isSafeInteger).
                if v.abs() <= 9007199254740991.0 && v.trunc() == v {
                    ev.sum += v as i64 as i128;
                    ev.count += 1;
                } else {
                    good = false;
                }
            } else {
                if !ps.value() {
                    return false;
                }
                good = false;
            }
            ps.ws();
            let c = ps.peek();
            ps.p += 1;
            if c == Some(b']') {
                break;
            }
            if c != Some(b',') {
                return false;
            }
        }
    }
    if good {
        ev.items_state = State::Good;
    }
    true
}

/// Reads the event: an object, whose "name" and "items" are kept.
fn event(ps: &mut Parser, ev: &mut Event) -> Result<(), &'static str> {
    ps.ws();
    if ps.peek() != Some(b'{') {
        // Valid JSON but not an object, or not JSON.
        if !ps.value() {
            return Err(NOT_JSON);
        }
        ps.ws();
        return Err(if ps.p == ps.s.len() {
            "event is not an object"
        } else {
            NOT_JSON
        });
    }
    ps.p += 1;
    ps.ws();
    if ps.peek() == Some(b'}') {
        ps.p += 1;
    } else {
        let mut key = Vec::new();
        loop {
            ps.ws();
            key.clear();
            if ps.peek() != Some(b'"') || !ps.string(Some(&mut key)) {
                return Err(NOT_JSON);
            }
            ps.ws();
            if ps.peek() != Some(b':') {
                return Err(NOT_JSON);
            }
            ps.p += 1;
            ps.ws();
            if key == b"name" {
                ev.name.clear();
                if ps.peek() == Some(b'"') {
                    if !ps.string(Some(&mut ev.name)) {
                        return Err(NOT_JSON);
                    }
                    ev.name_state = State::Good;
                } else {
                    if !ps.value() {
                        return Err(NOT_JSON);
                    }
                    ev.name_state = State::Bad;
                }
            } else if key == b"items" {
                if !items(ps, ev) {
                    return Err(NOT_JSON);
                }
            } else if !ps.value() {
                return Err(NOT_JSON);
            }
            ps.ws();
            let c = ps.peek();
            ps.p += 1;
            if c == Some(b'}') {
                break;
            }
            if c != Some(b',') {
                return Err(NOT_JSON);
            }
        }
    }
    ps.ws();
    if ps.p != ps.s.len() {
        return Err(NOT_JSON);
    }
    if ev.name_state == State::Bad {
        return Err("name is not a string");
    }
    if ev.items_state == State::Bad {
        return Err("items is not an array of safe integers");
    }
    Ok(())
}

/// Appends s as a JSON string, escaped as JSON.stringify does (s is UTF-8, or WTF-8 from name).
fn put_json_string(b: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    b.push(b'"');
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'"' => b.extend_from_slice(b"\\\""),
            b'\\' => b.extend_from_slice(b"\\\\"),
            8 => b.extend_from_slice(b"\\b"),
            12 => b.extend_from_slice(b"\\f"),
            b'\n' => b.extend_from_slice(b"\\n"),
            b'\r' => b.extend_from_slice(b"\\r"),
            b'\t' => b.extend_from_slice(b"\\t"),
            0..=0x1f => b.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]),
            0xed if i + 2 < s.len() && s[i + 1] >= 0xa0 => {
                // A lone surrogate (only from a \u escape): written as an escape.
                let cp = 0xd000 | ((s[i + 1] as usize & 0x3f) << 6) | (s[i + 2] as usize & 0x3f);
                b.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'd',
                    HEX[(cp >> 8) & 15],
                    HEX[(cp >> 4) & 15],
                    HEX[cp & 15],
                ]);
                i += 2;
            }
            _ => b.push(c),
        }
        i += 1;
    }
    b.push(b'"');
}

fn main() {
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        eprintln!("echo: cannot read stdin");
        std::process::exit(2);
    }

    let mut ev = Event {
        name_state: State::Absent,
        items_state: State::Absent,
        name: Vec::new(),
        count: 0,
        sum: 0,
    };
    let result = match std::str::from_utf8(&input) {
        Ok(_) => event(&mut Parser { s: &input, p: 0 }, &mut ev),
        Err(_) => Err("event is not UTF-8"),
    };
    if let Err(error) = result {
        eprintln!("echo: {} bytes, error: {}", input.len(), error);
        std::process::exit(1);
    }

    let mut greeting = b"Hello, ".to_vec();
    if ev.name_state == State::Good {
        greeting.extend_from_slice(&ev.name);
    } else {
        greeting.extend_from_slice(b"world");
    }
    greeting.push(b'!');
    let mut out = b"{\"greeting\":".to_vec();
    put_json_string(&mut out, &greeting);
    out.extend_from_slice(format!(",\"count\":{},\"sum\":{}", ev.count, ev.sum).as_bytes());
    out.extend_from_slice(b",\"env\":");
    match std::env::var("GREETING") {
        Ok(env) => put_json_string(&mut out, env.as_bytes()),
        Err(_) => out.extend_from_slice(b"null"),
    }
    out.push(b'}');

    let mut stdout = std::io::stdout();
    if stdout.write_all(&out).and_then(|_| stdout.flush()).is_err() {
        std::process::exit(2);
    }
    eprintln!("echo: {} bytes", input.len());
}
