//! IPC across real processes: spawn `hashvive-node -ipcfd`, call it, and see
//! the child exit when its last proxy is gone.

use std::time::{Duration, Instant};

use hashvive_ipc::IpcProcess;

/// Pids of this process's children, from /proc.
fn children() -> Vec<String> {
    let mut pids = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(list.split_whitespace().map(str::to_string));
        }
    }
    pids
}

#[test]
fn spawned_child_serves_and_exits_when_released() {
    let ipc = IpcProcess::new("ipc-test").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let init = rt.block_on(ipc.spawn_path(env!("CARGO_BIN_EXE_hashvive-node").as_ref())).unwrap().init;
    assert_eq!(children().len(), 1);
    let echo = rt.block_on(init.make_echo()).unwrap();
    assert_eq!(rt.block_on(echo.echo("across processes".into())).unwrap(), "across processes");
    // A spawned node offers mining only through a node started with -ipcbind;
    // its Node waits for Node.start.
    let err = rt.block_on(init.make_mining()).err().expect("no mining in a bare child");
    assert!(err.to_string().contains("serves no mining or RPC"), "{err}");
    let node = rt.block_on(init.make_node()).unwrap();
    let err = rt.block_on(node.status()).unwrap_err();
    assert!(err.to_string().contains("has not been started"), "{err}");
    drop(node);

    drop(echo);
    drop(init);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !children().is_empty() {
        assert!(Instant::now() < deadline, "the child did not exit after its connection closed");
        std::thread::sleep(Duration::from_millis(10));
    }
}
