//! The `network` methods on connections: `getpeerinfo`,
//! `getconnectioncount`, `getnettotals`, `addnode`, `getaddednodeinfo`,
//! `disconnectnode`, `setnetworkactive`, `ping`, the bans (`setban`,
//! `listbanned`, `clearbanned`) and known addresses (`getnodeaddresses`,
//! `addpeeraddress`) and the test-only `addconnection`, with the reference's
//! fields and errors.

use std::sync::{Arc, Weak};

use serde_json::{json, Value};

use hashvive_net::banman::Subnet;
use hashvive_net::protocol::{network_name, service_names};
use hashvive_net::{AddNodeError, ConnectionType, NetManager, PeerInfo};
use hashvive_policy::FeeRate;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::sync_handler;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::mempool::btc_per_kvb;

fn per_msg(map: &std::collections::BTreeMap<String, u64>) -> Value {
    Value::Object(map.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), json!(n))).collect())
}

fn peer_json(p: &PeerInfo) -> Value {
    let s = &p.stats;
    let services = bitcoin::p2p::ServiceFlags::from(s.services);
    let mut obj = json!({
        "id": p.id,
        "addr": p.addr.to_string(),
        "addrbind": p.addr_bind.to_string(),
        "network": network_name(&p.addr),
        "services": format!("{:016x}", s.services),
        "servicesnames": service_names(services),
        "relaytxes": s.relay_txs,
        "lastsend": s.last_send,
        "lastrecv": s.last_recv,
        "last_transaction": s.last_transaction,
        "last_block": s.last_block,
        "bytessent": s.bytes_sent,
        "bytesrecv": s.bytes_recv,
        "conntime": p.connected_at,
        "timeoffset": s.time_offset,
    });
    let map = obj.as_object_mut().expect("built as an object");
    if let Some(t) = s.ping_time {
        map.insert("pingtime".into(), json!(t));
    }
    if let Some(t) = s.min_ping {
        map.insert("minping".into(), json!(t));
    }
    if let Some(t) = s.ping_wait {
        map.insert("pingwait".into(), json!(t));
    }
    let rest = json!({
        "version": s.version,
        "subver": s.subver,
        "inbound": p.conn_type == hashvive_net::ConnectionType::Inbound,
        "bip152_hb_to": s.bip152_hb_to,
        "bip152_hb_from": s.bip152_hb_from,
        "startingheight": s.starting_height,
        "presynced_headers": -1,
        "synced_headers": s.synced_headers,
        "synced_blocks": s.synced_blocks,
        "inflight": s.inflight,
        "addr_relay_enabled": s.addr_relay_enabled,
        "addr_processed": s.addr_processed,
        "addr_rate_limited": s.addr_rate_limited,
        "permissions": p.permissions,
        "minfeefilter": btc_per_kvb(FeeRate::from_sat_per_kvb(s.min_fee_filter)),
        "bytessent_per_msg": per_msg(&s.bytes_sent_per_msg),
        "bytesrecv_per_msg": per_msg(&s.bytes_recv_per_msg),
        "connection_type": p.conn_type.name(),
        "transport_protocol_type": "v1",
        "session_id": "",
    });
    if let Value::Object(rest) = rest {
        map.extend(rest);
    }
    obj
}

/// Wall-clock milliseconds, never mocked (as the reference's `getnettotals`).
fn system_now_millis() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(0, |d| d.as_millis() as u64)
}

fn addnode_error(e: AddNodeError) -> RpcError {
    let code = match e {
        AddNodeError::AlreadyAdded => codes::RPC_CLIENT_NODE_ALREADY_ADDED,
        AddNodeError::NotAdded | AddNodeError::NotFound => codes::RPC_CLIENT_NODE_NOT_ADDED,
    };
    RpcError::new(code, e.to_string())
}

pub fn register(table: &Arc<RpcTable>, net: NetManager, cli: &'static str) {
    let n = net.clone();
    table.register(
        Command::new(
            "getpeerinfo",
            "network",
            "Returns data about each connected network peer as a json array of objects.",
            sync_handler(move |_| Ok(Value::Array(n.peer_info().iter().map(peer_json).collect()))),
        )
        .result(
            "[    (json array)\n  {    (json object)\n    \"id\" : n,    (numeric) Peer index\n    \
             \"addr\" : \"str\",    (string) (host:port) The IP address and port of the peer\n    \
             ...\n  },\n  ...\n]",
        )
        .example(format!("{cli} getpeerinfo")),
    );

    let n = net.clone();
    table.register(
        Command::new(
            "getconnectioncount",
            "network",
            "Returns the number of connections to other nodes.",
            sync_handler(move |_| {
                let (inbound, outbound) = n.connection_counts();
                Ok(json!(inbound + outbound))
            }),
        )
        .result("n    (numeric) The connection count")
        .example(format!("{cli} getconnectioncount")),
    );

    let n = net.clone();
    table.register(
        Command::new(
            "getnettotals",
            "network",
            "Returns information about network traffic, including bytes in, bytes out,\nand current system time.",
            sync_handler(move |_| {
                let (recv, sent) = n.totals();
                Ok(json!({
                    "totalbytesrecv": recv,
                    "totalbytessent": sent,
                    "timemillis": system_now_millis(),
                    // No -maxuploadtarget yet: no target, nothing held back.
                    "uploadtarget": {
                        "timeframe": 86400,
                        "target": 0,
                        "target_reached": false,
                        "serve_historical_blocks": true,
                        "bytes_left_in_cycle": 0,
                        "time_left_in_cycle": 0,
                    },
                }))
            }),
        )
        .result(
            "{    (json object)\n  \"totalbytesrecv\" : n,    (numeric) Total bytes received\n  \
             \"totalbytessent\" : n,    (numeric) Total bytes sent\n  \
             \"timemillis\" : xxx,    (numeric) Current system UNIX epoch time in milliseconds\n  \
             \"uploadtarget\" : {    (json object)\n    ...\n  }\n}",
        )
        .example(format!("{cli} getnettotals")),
    );

    let n = net.clone();
    let weak: Weak<RpcTable> = Arc::downgrade(table);
    table.register(
        Command::new(
            "addnode",
            "network",
            "Attempts to add or remove a node from the addnode list.\n\
             Or try a connection to a node once.\n\
             Nodes added using addnode (or -connect) are protected from DoS disconnection and are not required to be\n\
             full nodes/support SegWit as other outbound peers are (though such peers will not be synced from).\n\
             Addnode connections are limited to 8 at a time and are counted separately from the -maxconnections limit.",
            sync_handler(move |call| {
                let node = call.param(0).and_then(Value::as_str).unwrap_or_default();
                let command = call.param(1).and_then(Value::as_str).unwrap_or_default();
                if !["onetry", "add", "remove"].contains(&command) {
                    let help = weak.upgrade().and_then(|t| t.get("addnode")).map(|c| c.help()).unwrap_or_default();
                    return Err(RpcError::misc(help));
                }
                if call.param(2).and_then(Value::as_bool) == Some(true) {
                    return Err(RpcError::invalid_parameter(
                        "Error: v2transport requested but not enabled (see -v2transport)",
                    ));
                }
                match command {
                    "onetry" => n.try_connect(node),
                    "add" => n.add_node(node).map_err(addnode_error)?,
                    _ => n.remove_node(node).map_err(addnode_error)?,
                }
                Ok(Value::Null)
            }),
        )
        .arg(Arg::required("node", ArgType::Str, "The IP address/Port of the node"))
        .arg(Arg::required(
            "command",
            ArgType::Str,
            "'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once",
        ))
        .arg(
            Arg::optional("v2transport", ArgType::Bool, "Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' command)")
                .default("set by -v2transport"),
        )
        .result("null    (json null)")
        .example(format!("{cli} addnode \"192.168.0.6:8333\" \"onetry\"")),
    );

    let n = net.clone();
    table.register(
        Command::new(
            "getaddednodeinfo",
            "network",
            "Returns information about the given added node, or all added nodes\n\
             (note that onetry addnodes are not listed here)",
            sync_handler(move |call| {
                let node = call.param(0).and_then(Value::as_str);
                let added = n.added_node_info(node).map_err(addnode_error)?;
                Ok(Value::Array(
                    added
                        .into_iter()
                        .map(|a| {
                            let addresses: Vec<Value> = a
                                .connection
                                .iter()
                                .map(|(addr, inbound)| {
                                    json!({"address": addr.to_string(), "connected": if *inbound { "inbound" } else { "outbound" }})
                                })
                                .collect();
                            json!({"addednode": a.added_node, "connected": a.connection.is_some(), "addresses": addresses})
                        })
                        .collect(),
                ))
            }),
        )
        .arg(Arg::optional("node", ArgType::Str, "If provided, return information about this specific node, otherwise all nodes are returned.").default("all nodes"))
        .result("[    (json array)\n  {    (json object)\n    \"addednode\" : \"str\",    (string) The node IP address or name (as provided to addnode)\n    \"connected\" : true|false,    (boolean) If connected\n    \"addresses\" : [    (json array) Only when connected = true\n      ...\n    ]\n  },\n  ...\n]")
        .example(format!("{cli} getaddednodeinfo \"192.168.0.201\"")),
    );

    let n = net.clone();
    table.register(
        Command::new(
            "disconnectnode",
            "network",
            "Immediately disconnects from the specified peer node.\n\n\
             Strictly one out of 'address' and 'nodeid' can be provided to identify the node.\n\n\
             To disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument only.",
            sync_handler(move |call| {
                let address = call.param(0);
                let id = call.param(1);
                let found = match (address, id) {
                    (Some(Value::String(a)), None) => n.disconnect_address(a),
                    (None, Some(id)) | (Some(Value::String(_)), Some(id))
                        if address.and_then(Value::as_str).is_none_or(str::is_empty) =>
                    {
                        id.as_u64().is_some_and(|id| n.disconnect_id(id))
                    }
                    _ => {
                        return Err(RpcError::new(
                            codes::RPC_INVALID_PARAMS,
                            "Only one of address and nodeid should be provided.",
                        ))
                    }
                };
                if !found {
                    return Err(RpcError::new(codes::RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes"));
                }
                Ok(Value::Null)
            }),
        )
        .arg(Arg::optional("address", ArgType::Str, "The IP address/port of the node").default("fallback to nodeid"))
        .arg(Arg::optional("nodeid", ArgType::Num, "The node ID (see getpeerinfo for node IDs)").default("fallback to address"))
        .result("null    (json null)")
        .example(format!("{cli} disconnectnode \"192.168.0.6:8333\"")),
    );

    let n = net.clone();
    table.register(
        Command::new(
            "setnetworkactive",
            "network",
            "Disable/enable all p2p network activity.",
            sync_handler(move |call| {
                let state = call.param(0).and_then(Value::as_bool).unwrap_or(true);
                n.set_network_active(state);
                Ok(json!(n.network_active()))
            }),
        )
        .arg(Arg::required("state", ArgType::Bool, "true to enable networking, false to disable"))
        .result("true|false    (boolean) The value that was passed in"),
    );

    register_bans(table, net.clone(), cli);
    register_addresses(table, net.clone(), cli);
    register_addconnection(table, net.clone(), cli);

    table.register(
        Command::new(
            "ping",
            "network",
            "Requests that a ping be sent to all other nodes, to measure ping time.\n\
             Results are provided in getpeerinfo, pingtime and pingwait fields are decimal seconds.\n\
             Ping command is handled in queue with all other commands, so it measures processing backlog, not just network ping.",
            sync_handler(move |_| {
                net.ping_all();
                Ok(Value::Null)
            }),
        )
        .result("null    (json null)")
        .example(format!("{cli} ping")),
    );
}

/// `setban`, `listbanned`, `clearbanned`.
fn register_bans(table: &Arc<RpcTable>, net: NetManager, cli: &'static str) {
    let n = net.clone();
    table.register(
        Command::new(
            "setban",
            "network",
            "Attempts to add or remove an IP/Subnet from the banned list.",
            sync_handler(move |call| {
                let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
                let command = call.param(1).and_then(Value::as_str).unwrap_or_default();
                if command != "add" && command != "remove" {
                    return Err(RpcError::misc(
                        "setban \"subnet\" \"command\" ( bantime absolute )\n\nAttempts to add or remove an IP/Subnet from the banned list.",
                    ));
                }
                let subnet: Subnet = text
                    .parse()
                    .map_err(|_| RpcError::new(codes::RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet"))?;
                if command == "remove" {
                    if !n.unban(&subnet) {
                        return Err(RpcError::new(
                            codes::RPC_CLIENT_INVALID_IP_OR_SUBNET,
                            "Error: Unban failed. Requested address/subnet was not previously manually banned.",
                        ));
                    }
                    return Ok(Value::Null);
                }
                let ban_time = call.param(2).and_then(Value::as_i64).unwrap_or(0);
                let absolute = call.param(3).and_then(Value::as_bool).unwrap_or(false);
                let now = hashvive_common::time::now();
                if absolute && ban_time < now {
                    return Err(RpcError::invalid_parameter("Error: Absolute timestamp is in the past"));
                }
                let until = match (absolute, ban_time) {
                    (true, at) => at,
                    (false, t) if t > 0 => now.saturating_add(t),
                    (false, _) => now.saturating_add(n.default_ban_time().as_secs() as i64),
                };
                if !n.ban(subnet, until) {
                    return Err(RpcError::new(codes::RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned"));
                }
                Ok(Value::Null)
            }),
        )
        .arg(Arg::required("subnet", ArgType::Str, "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single IP)"))
        .arg(Arg::required("command", ArgType::Str, "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list"))
        .arg(Arg::optional("bantime", ArgType::Num, "time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty means using the default time of 24h which can also be overwritten by the -bantime startup argument)").default("0"))
        .arg(Arg::optional("absolute", ArgType::Bool, "If set, the bantime must be an absolute timestamp expressed in UNIX epoch time").default("false"))
        .result("null    (json null)")
        .example(format!("{cli} setban \"192.168.0.6\" \"add\" 86400")),
    );
    let n = net.clone();
    table.register(
        Command::new(
            "listbanned",
            "network",
            "List all manually banned IPs/Subnets.",
            sync_handler(move |_| {
                let now = hashvive_common::time::now();
                let bans: Vec<Value> = n
                    .banned()
                    .into_iter()
                    .map(|(subnet, ban)| {
                        json!({
                            "address": subnet.to_string(),
                            "ban_created": ban.created,
                            "banned_until": ban.until,
                            "ban_duration": ban.until - ban.created,
                            "time_remaining": ban.until - now,
                        })
                    })
                    .collect();
                Ok(Value::Array(bans))
            }),
        )
        .result("[                              (json array)\n  {                            (json object)\n    \"address\" : \"str\",          (string) The IP/Subnet of the banned node\n    \"ban_created\" : xxx,       (numeric) The UNIX epoch time the ban was created\n    \"banned_until\" : xxx,      (numeric) The UNIX epoch time the ban expires\n    \"ban_duration\" : xxx,      (numeric) The ban duration, in seconds\n    \"time_remaining\" : xxx     (numeric) The time remaining until the ban expires, in seconds\n  },\n  ...\n]")
        .example(format!("{cli} listbanned")),
    );
    table.register(
        Command::new(
            "clearbanned",
            "network",
            "Clear all banned IPs.",
            sync_handler(move |_| {
                net.clear_banned();
                Ok(Value::Null)
            }),
        )
        .result("null    (json null)")
        .example(format!("{cli} clearbanned")),
    );
}

/// `getnodeaddresses`, and the test-only `addpeeraddress`.
fn register_addresses(table: &Arc<RpcTable>, net: NetManager, cli: &'static str) {
    let n = net.clone();
    table.register(
        Command::new(
            "getnodeaddresses",
            "network",
            "Return known addresses, after filtering for quality and recency.\n\
             These can potentially be used to find new peers in the network.\n\
             The total number of addresses known to the node may be higher.",
            sync_handler(move |call| {
                let count = match call.param(0) {
                    None => 1,
                    Some(v) => v
                        .as_i64()
                        .filter(|c| *c >= 0)
                        .ok_or_else(|| RpcError::invalid_parameter("Address count out of range"))?
                        as usize,
                };
                let network = call.param(1).and_then(Value::as_str);
                if let Some(name) = network {
                    if !["ipv4", "ipv6", "onion", "i2p", "cjdns"].contains(&name) {
                        return Err(RpcError::invalid_parameter(format!("Network not recognized: {name}")));
                    }
                }
                let addresses: Vec<Value> = n
                    .node_addresses(count, network)
                    .into_iter()
                    .map(|a| {
                        json!({
                            "time": a.time,
                            "services": a.services,
                            "address": a.addr.ip().to_string(),
                            "port": a.addr.port(),
                            "network": network_name(&a.addr),
                        })
                    })
                    .collect();
                Ok(Value::Array(addresses))
            }),
        )
        .arg(Arg::optional("count", ArgType::Num, "The maximum number of addresses to return. Specify 0 to return all known addresses.").default("1"))
        .arg(Arg::optional("network", ArgType::Str, "Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns.").default("all networks"))
        .result("[                         (json array)\n  {                       (json object)\n    \"time\" : xxx,          (numeric) The UNIX epoch time when the node was last seen\n    \"services\" : n,        (numeric) The services offered by the node\n    \"address\" : \"str\",     (string) The address of the node\n    \"port\" : n,            (numeric) The port number of the node\n    \"network\" : \"str\"      (string) The network (ipv4, ipv6, onion, i2p, cjdns) the node connected through\n  },\n  ...\n]")
        .example(format!("{cli} getnodeaddresses 8")),
    );
    table.register(
        Command::new(
            "addpeeraddress",
            "hidden",
            "Add the address of a potential peer to an address manager table. This RPC is for testing only.",
            sync_handler(move |call| {
                let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
                let port = call.param(1).and_then(Value::as_u64).and_then(|p| u16::try_from(p).ok()).unwrap_or(0);
                let tried = call.param(2).and_then(Value::as_bool).unwrap_or(false);
                let mut result = serde_json::Map::new();
                let success = match text.parse::<std::net::IpAddr>() {
                    Err(_) => false,
                    Ok(ip) => match net.add_peer_address(std::net::SocketAddr::new(ip, port), tried) {
                        Ok(()) => true,
                        Err(error) => {
                            result.insert("error".into(), json!(error));
                            false
                        }
                    },
                };
                result.insert("success".into(), json!(success));
                Ok(Value::Object(result))
            }),
        )
        .arg(Arg::required("address", ArgType::Str, "The IP address of the peer"))
        .arg(Arg::required("port", ArgType::Num, "The port of the peer"))
        .arg(Arg::optional("tried", ArgType::Bool, "If true, attempt to add the peer to the tried addresses table").default("false"))
        .result("{                  (json object)\n  \"success\" : true|false  (boolean) whether the peer address was successfully added to the address manager table\n  \"error\" : \"str\"        (string, optional) error description, if the address could not be added\n}")
        .example(format!("{cli} addpeeraddress \"1.2.3.4\" 8333 true")),
    );
}

/// The reference's test-only `addconnection`: outbound connections of the
/// automatic kinds, to any address.
fn register_addconnection(table: &Arc<RpcTable>, net: NetManager, cli: &'static str) {
    table.register(
        Command::new(
            "addconnection",
            "hidden",
            "Open an outbound connection to a specified node. This RPC is for testing only.",
            sync_handler(move |call| {
                if !net.is_regtest() {
                    return Err(RpcError::misc("addconnection is for regression testing (-regtest mode) only."));
                }
                let address = call.param(0).and_then(Value::as_str).unwrap_or_default();
                let name = call.param(1).and_then(Value::as_str).unwrap_or_default();
                let conn_type = ConnectionType::from_test_name(name).ok_or_else(|| {
                    RpcError::invalid_parameter(
                        "addconnection \"address\" \"connection_type\" v2transport\n\nOpen an outbound connection to a specified node. This RPC is for testing only.",
                    )
                })?;
                if call.param(2).and_then(Value::as_bool) == Some(true) {
                    return Err(RpcError::invalid_parameter(
                        "Error: Adding v2transport connections requires -v2transport init flag to be set.",
                    ));
                }
                if !net.add_connection(address, conn_type) {
                    return Err(RpcError::new(
                        codes::RPC_CLIENT_NODE_CAPACITY_REACHED,
                        "Error: Already at capacity for specified connection type.",
                    ));
                }
                Ok(json!({ "address": address, "connection_type": name }))
            }),
        )
        .arg(Arg::required("address", ArgType::Str, "The IP address and port to attempt connecting to."))
        .arg(Arg::required("connection_type", ArgType::Str, "Type of connection to open (\"outbound-full-relay\", \"block-relay-only\", \"addr-fetch\" or \"feeler\")."))
        .arg(Arg::required("v2transport", ArgType::Bool, "Attempt to connect using BIP324 v2 transport protocol"))
        .result("{                          (json object)\n  \"address\" : \"str\",        (string) Address of newly added connection.\n  \"connection_type\" : \"str\"  (string) Type of connection opened.\n}")
        .example(format!("{cli} addconnection \"192.168.0.6:8333\" \"outbound-full-relay\" true")),
    );
}
