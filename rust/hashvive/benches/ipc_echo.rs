//! `Echo.echo` round trips to a spawned `hashvive-node -ipcfd` child, against a
//! raw socket-pair ping-pong with a child process (`cat`) measured in the same
//! run, and calls per second with 8 client threads.
//!
//! cargo bench -p hashvive --features multiprocess --bench ipc_echo

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashvive_interfaces::Echo;
use hashvive_ipc::IpcProcess;

/// Calls per measurement; each is repeated ROUNDS times, interleaved, and the
/// median reported, because a shared virtual machine is noisy.
const CALLS: u32 = 4_000;
const ROUNDS: usize = 7;
const THREADS: usize = 8;
const PAYLOAD: &str = "hashvive";

/// Round trips of PAYLOAD through `cat` on the other end of a socket pair.
fn raw_ping_pong() -> Duration {
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    let out = theirs.try_clone().unwrap();
    let mut cat = Command::new("cat")
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(out)))
        .spawn()
        .unwrap();
    let mut buf = [0u8; PAYLOAD.len()];
    let start = Instant::now();
    for _ in 0..CALLS {
        ours.write_all(PAYLOAD.as_bytes()).unwrap();
        ours.read_exact(&mut buf).unwrap();
    }
    let elapsed = start.elapsed();
    drop(ours);
    cat.wait().unwrap();
    elapsed
}

fn per_call(d: Duration, calls: u32) -> f64 {
    d.as_secs_f64() * 1e6 / f64::from(calls)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let ipc = IpcProcess::new("ipc-bench").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let init = rt.block_on(ipc.spawn_path(env!("CARGO_BIN_EXE_hashvive-node").as_ref())).unwrap().init;
    let echo: Arc<dyn Echo> = rt.block_on(init.make_echo()).unwrap();
    // Warm up: threads made, connections settled.
    for _ in 0..1000 {
        rt.block_on(echo.echo(PAYLOAD.into())).unwrap();
    }

    let (mut raw, mut on_loop, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        raw.push(per_call(raw_ping_pong(), CALLS));
        let e = echo.clone();
        let elapsed = rt
            .block_on(ipc.run_on_loop(move || async move {
                let start = Instant::now();
                for _ in 0..CALLS {
                    e.echo(PAYLOAD.into()).await.unwrap();
                }
                start.elapsed()
            }))
            .unwrap();
        on_loop.push(per_call(elapsed, CALLS));
        let start = Instant::now();
        for _ in 0..CALLS {
            rt.block_on(echo.echo(PAYLOAD.into())).unwrap();
        }
        other.push(per_call(start.elapsed(), CALLS));
    }
    let (raw_us, loop_us, other_us) = (median(raw), median(on_loop), median(other));
    println!("medians of {ROUNDS} rounds of {CALLS} sequential calls:");
    println!("raw socketpair ping-pong (cat child):        {raw_us:8.2} us/round trip");
    println!("Echo.echo, caller on the IPC thread:         {loop_us:8.2} us/call   ({:.2}x raw)", loop_us / raw_us);
    println!("Echo.echo, caller on another thread:         {other_us:8.2} us/call   ({:.2}x raw)", other_us / raw_us);

    let per_thread = 20_000 / THREADS as u32;
    let start = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let echo = echo.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                for _ in 0..per_thread {
                    rt.block_on(echo.echo(PAYLOAD.into())).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "Echo.echo, {THREADS} client threads:              {:8.0} calls/s",
        f64::from(per_thread * THREADS as u32) / elapsed.as_secs_f64()
    );
}
