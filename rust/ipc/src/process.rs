//! Processes: spawning a child over a socket pair, serving as a spawned child,
//! listening on and connecting to Unix sockets.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use hashvive_interfaces::{async_trait, Connected, Error, Init, Ipc, Result};

use crate::address;
use crate::connection;
use crate::event_loop::{EventLoop, LoopHandle};
use crate::log;

/// The descriptor a spawned child finds its socket on.
const CHILD_FD: i32 = 3;

/// This process's IPC: its event loop, and what it spawns and serves.
pub struct IpcProcess {
    exe_name: String,
    handle: LoopHandle,
    /// Taken by [`Ipc::shutdown`].
    event_loop: Mutex<Option<EventLoop>>,
    /// Completes as each spawned child exits.
    children: Mutex<Vec<oneshot::Receiver<()>>>,
}

impl IpcProcess {
    /// Starts the event loop. `exe_name` names this process in logs and thread names.
    pub fn new(exe_name: &str) -> io::Result<IpcProcess> {
        log::set_exe_name(exe_name);
        let event_loop = EventLoop::start()?;
        Ok(IpcProcess {
            exe_name: exe_name.to_string(),
            handle: event_loop.handle(),
            event_loop: Mutex::new(Some(event_loop)),
            children: Mutex::new(Vec::new()),
        })
    }

    pub fn exe_name(&self) -> &str {
        &self.exe_name
    }

    fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }

    /// Runs `f`'s future on the IPC thread. Code that makes many calls in a row
    /// saves a thread hop per call by running there.
    pub async fn run_on_loop<F, Fut, T>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = T> + 'static,
        T: Send + 'static,
    {
        self.handle().run(f).await
    }

    /// Starts the executable at `path` as a child (`-ipcfd`) and returns its `Init`.
    pub async fn spawn_path(&self, path: &Path) -> Result<Connected> {
        let (ours, theirs) = StdUnixStream::pair().map_err(io_error)?;
        let child = spawn_child(path, theirs.into())
            .map_err(|e| Error::Unavailable(format!("Cannot start {}: {e}", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let exited = watch_child(name, child);
        self.children.lock().unwrap_or_else(|e| e.into_inner()).push(exited);
        connected(&self.handle(), ours).await
    }
}

/// The peer's `Init` on `stream`, and a future that completes when the connection ends.
async fn connected(handle: &LoopHandle, stream: StdUnixStream) -> Result<Connected> {
    let (closed, on_close) = oneshot::channel();
    let init = connection::connect_std(handle, stream, Some(closed)).await?;
    Ok(Connected {
        init,
        closed: Box::pin(async move {
            let _ = on_close.await;
        }),
    })
}

fn io_error(e: impl std::fmt::Display) -> Error {
    Error::Unavailable(e.to_string())
}

#[async_trait]
impl Ipc for IpcProcess {
    async fn spawn_process(&self, exe_name: &str) -> Result<Connected> {
        let exe = std::env::current_exe().map_err(io_error)?;
        let path = exe.parent().map(|dir| dir.join(exe_name)).unwrap_or_else(|| PathBuf::from(exe_name));
        self.spawn_path(&path).await
    }

    async fn listen(&self, addresses: &[String], default_dir: &Path, init: Arc<dyn Init>) -> Result<Box<dyn Send>> {
        let mut listeners = Vec::new();
        for addr in addresses {
            let path = address::socket_path(addr, default_dir).map_err(io_error)?;
            let listener = address::bind(&path).map_err(io_error)?;
            listener.set_nonblocking(true).map_err(io_error)?;
            tracing::info!("Listening for IPC requests on address unix:{}", path.display());
            listeners.push((path, listener));
        }
        let mut guard = ListenGuard { paths: Vec::new(), stops: Vec::new() };
        let executor = tokio::runtime::Handle::try_current().ok();
        for (path, listener) in listeners {
            let (stop, stopped) = oneshot::channel::<()>();
            let init = init.clone();
            let handle = self.handle();
            let executor = executor.clone();
            self.handle().spawn(move || accept_loop(listener, init, handle, executor, stopped))?;
            guard.paths.push(path);
            guard.stops.push(stop);
        }
        Ok(Box::new(guard))
    }

    async fn connect(&self, address: &str, default_dir: &Path) -> Result<Connected> {
        let path = address::socket_path(address, default_dir).map_err(io_error)?;
        let stream = address::connect(&path).map_err(|e| Error::Disconnected(e.to_string()))?;
        connected(&self.handle(), stream).await
    }

    async fn shutdown(&self, timeout: Duration) {
        let event_loop = self.event_loop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(event_loop) = event_loop {
            // Joining the loop thread blocks; it ends as soon as its tasks are dropped.
            let _ = tokio::task::spawn_blocking(move || event_loop.stop()).await;
        }
        let children = std::mem::take(&mut *self.children.lock().unwrap_or_else(|e| e.into_inner()));
        let all_exited = futures::future::join_all(children);
        if tokio::time::timeout(timeout, all_exited).await.is_err() {
            tracing::warn!("Spawned processes still running after {} s; leaving them", timeout.as_secs());
        }
    }
}

/// Stops listening and removes the socket files when dropped.
struct ListenGuard {
    paths: Vec<PathBuf>,
    stops: Vec<oneshot::Sender<()>>,
}

impl Drop for ListenGuard {
    fn drop(&mut self) {
        self.stops.clear();
        for path in &self.paths {
            // Already removed by someone else is fine.
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn accept_loop(
    listener: std::os::unix::net::UnixListener,
    init: Arc<dyn Init>,
    handle: LoopHandle,
    executor: Option<tokio::runtime::Handle>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::UnixListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("IPC listener failed: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    log::event("IPC server: accepted connection");
                    tokio::task::spawn_local(connection::serve(stream, init.clone(), handle.clone(), executor.clone()));
                }
                Err(e) => {
                    tracing::warn!("IPC accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            _ = &mut stop => break,
        }
    }
}

/// Starts `path -ipcfd 3` with `socket` as descriptor 3 and no other descriptor
/// open beyond stdin, stdout and stderr.
fn spawn_child(path: &Path, socket: OwnedFd) -> io::Result<std::process::Child> {
    let fd = socket.as_raw_fd();
    let mut command = Command::new(path);
    command.arg("-ipcfd").arg(CHILD_FD.to_string());
    // SAFETY: the closure runs in the child between fork and exec and only makes
    // async-signal-safe system calls (dup2, close_range/close).
    unsafe {
        command.pre_exec(move || {
            if libc::dup2(fd, CHILD_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_close_range, CHILD_FD as u32 + 1, u32::MAX, 0) != 0 {
                for other in CHILD_FD + 1..1024 {
                    libc::close(other);
                }
            }
            Ok(())
        });
    }
    let child = command.spawn();
    drop(socket);
    child
}

/// Logs the child's start, and its exit when it comes; the receiver
/// completes once the exit is logged.
fn watch_child(exe_name: String, mut child: std::process::Child) -> oneshot::Receiver<()> {
    let pid = child.id();
    tracing::info!("Process {exe_name} pid {pid} launched");
    let (exited, on_exit) = oneshot::channel();
    let spawned = std::thread::Builder::new().name(format!("{exe_name}-wait")).spawn(move || {
        match child.wait() {
            Ok(status) => match status.code() {
                Some(code) => tracing::info!("Process {exe_name} pid {pid} exited with status {code}"),
                None => tracing::warn!("Process {exe_name} pid {pid} exited with status {status}"),
            },
            Err(e) => tracing::warn!("Process {exe_name} pid {pid}: cannot wait for it: {e}"),
        }
        let _ = exited.send(());
    });
    if let Err(e) = spawned {
        tracing::warn!("Cannot watch process {pid}: {e}");
    }
    on_exit
}

/// If this process was spawned (`<exe> -ipcfd <fd>`), serves `make_init()` on
/// that descriptor until the parent goes away and returns the exit code;
/// otherwise returns `None` and the caller starts normally. Any other use of
/// `-ipcfd` is an error.
pub fn serve_if_spawned(
    args: &[String],
    exe_name: &str,
    make_init: impl FnOnce() -> Arc<dyn Init>,
) -> Option<ExitCode> {
    if !args.iter().any(|a| a.trim_start_matches('-').starts_with("ipcfd")) {
        return None;
    }
    let fd = match args {
        [flag, fd] if flag == "-ipcfd" => fd.parse::<i32>().ok().filter(|fd| *fd >= 0),
        _ => {
            eprintln!("Error: -ipcfd is only for processes hashvive spawns itself, as: {exe_name} -ipcfd <fd>");
            return Some(ExitCode::FAILURE);
        }
    };
    let Some(fd) = fd.filter(|fd| nix::fcntl::fcntl(*fd, nix::fcntl::FcntlArg::F_GETFD).is_ok()) else {
        eprintln!("Error: Invalid -ipcfd number");
        return Some(ExitCode::FAILURE);
    };
    log::set_exe_name(exe_name);
    // Ctrl-C in a terminal reaches the whole process group; the parent shuts
    // down on it and closes our socket, which is when a child should end.
    // SAFETY: installing SIG_IGN runs no handler code.
    if let Err(e) =
        unsafe { nix::sys::signal::signal(nix::sys::signal::Signal::SIGINT, nix::sys::signal::SigHandler::SigIgn) }
    {
        eprintln!("Error: cannot ignore SIGINT: {e}");
        return Some(ExitCode::FAILURE);
    }
    // SAFETY: the parent handed us this descriptor for our exclusive use, and we
    // checked that it is open.
    let socket = unsafe { StdUnixStream::from_raw_fd(fd) };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name(exe_name).build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let event_loop = match EventLoop::start() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("Error: cannot start the IPC event loop: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let init = {
        let _entered = runtime.enter();
        make_init()
    };
    let handle = event_loop.handle();
    let executor = runtime.handle().clone();
    let served = socket.set_nonblocking(true).map_err(io_error).and_then(|()| {
        event_loop.handle().run_blocking(move || async move {
            match tokio::net::UnixStream::from_std(socket) {
                Ok(stream) => connection::serve(stream, init, handle, Some(executor)).await,
                Err(e) => tracing::error!("IPC socket unusable: {e}"),
            }
        })
    });
    event_loop.stop();
    // What the parent set up (wallets) closes with the connection; work still
    // running gets a moment to finish.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match served {
        Ok(()) => Some(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("Error: {e}");
            Some(ExitCode::FAILURE)
        }
    }
}
