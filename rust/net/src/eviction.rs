//! Which inbound peer gives up its slot when a new one arrives and every
//! inbound slot is taken (the reference's `SelectNodeToEvict`).
//!
//! Peers that are hard for an attacker to imitate are protected first: some
//! by network group (keyed with a secret, so which groups cannot be
//! predicted), the fastest to answer pings, those that recently gave us new
//! transactions or blocks, and half of the rest by how long they have been
//! connected (with a share kept for local peers, which the other measures
//! disadvantage). Of those left, the youngest peer in the most crowded
//! network group goes.

use std::time::Duration;

/// What eviction weighs of one inbound peer.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: u64,
    /// How long it has been connected.
    pub connected: Duration,
    /// Its fastest ping; `None` before one came back.
    pub min_ping: Option<Duration>,
    /// When it last gave us a block / transaction we did not have (seconds
    /// since the epoch, 0 never).
    pub last_block: i64,
    pub last_tx: i64,
    /// It offers the services we need from a full node.
    pub relevant_services: bool,
    /// It asked for transactions (not block-relay only).
    pub relay_txs: bool,
    /// Its network group, keyed with this node's secret.
    pub keyed_group: u64,
    /// It connected from this machine.
    pub is_local: bool,
    /// It misbehaved (discouraged): evicted before the others.
    pub prefer_evict: bool,
}

/// Sorts `candidates` by `order` and drops up to `k` from the end (the
/// best by that order) that satisfy `protect`: the reference's
/// `EraseLastKElements`.
fn protect_last(
    candidates: &mut Vec<Candidate>,
    order: impl FnMut(&Candidate, &Candidate) -> std::cmp::Ordering,
    k: usize,
    protect: impl Fn(&Candidate) -> bool,
) {
    candidates.sort_by(order);
    let start = candidates.len() - k.min(candidates.len());
    let mut index = 0;
    candidates.retain(|c| {
        let keep = index < start || !protect(c);
        index += 1;
        keep
    });
}

/// Younger connections sort first, so the older ones are protected.
fn younger_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    a.connected.cmp(&b.connected)
}

/// The peer to disconnect, if any is not protected.
pub fn select_to_evict(mut candidates: Vec<Candidate>) -> Option<u64> {
    use std::cmp::Ordering;
    let always = |_: &Candidate| true;
    protect_last(&mut candidates, |a, b| a.keyed_group.cmp(&b.keyed_group), 4, always);
    // Slowest first, so the 8 fastest are protected; no ping counts as slowest.
    let ping = |c: &Candidate| c.min_ping.unwrap_or(Duration::MAX);
    protect_last(&mut candidates, |a, b| ping(b).cmp(&ping(a)), 8, always);
    protect_last(
        &mut candidates,
        |a, b| a.last_tx.cmp(&b.last_tx).then(a.relay_txs.cmp(&b.relay_txs)).then_with(|| younger_first(a, b)),
        4,
        always,
    );
    protect_last(
        &mut candidates,
        |a, b| {
            b.relay_txs
                .cmp(&a.relay_txs)
                .then(a.last_block.cmp(&b.last_block))
                .then(a.relevant_services.cmp(&b.relevant_services))
                .then_with(|| younger_first(a, b))
        },
        8,
        |c| !c.relay_txs && c.relevant_services,
    );
    protect_last(
        &mut candidates,
        |a, b| {
            a.last_block
                .cmp(&b.last_block)
                .then(a.relevant_services.cmp(&b.relevant_services))
                .then_with(|| younger_first(a, b))
        },
        4,
        always,
    );
    protect_by_uptime(&mut candidates);
    if candidates.iter().any(|c| c.prefer_evict) {
        candidates.retain(|c| c.prefer_evict);
    }
    // Youngest first: each group's first member is its youngest.
    candidates.sort_by(younger_first);
    let mut groups: Vec<(u64, usize, Duration)> = Vec::new();
    for c in &candidates {
        match groups.iter_mut().find(|(g, _, _)| *g == c.keyed_group) {
            Some((_, count, _)) => *count += 1,
            None => groups.push((c.keyed_group, 1, c.connected)),
        }
    }
    // The most members; among equals, the group whose youngest is youngest.
    let (group, _, _) = groups.into_iter().reduce(|best, g| match g.1.cmp(&best.1) {
        Ordering::Greater => g,
        Ordering::Equal if g.2 < best.2 => g,
        _ => best,
    })?;
    candidates.iter().find(|c| c.keyed_group == group).map(|c| c.id)
}

/// Protects half of the candidates by how long they have been connected,
/// up to half of those spots going to local peers first (the reference's
/// `ProtectEvictionCandidatesByRatio`, whose other disadvantaged networks —
/// Tor, I2P, CJDNS — this node does not reach).
fn protect_by_uptime(candidates: &mut Vec<Candidate>) {
    let total = candidates.len() / 2;
    let before = candidates.len();
    let for_local = total / 2;
    if for_local > 0 {
        protect_last(
            candidates,
            |a, b| a.is_local.cmp(&b.is_local).then_with(|| younger_first(a, b)),
            for_local,
            |c| c.is_local,
        );
    }
    let protected = before - candidates.len();
    protect_last(candidates, younger_first, total.saturating_sub(protected), |_| true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: u64) -> Candidate {
        Candidate {
            id,
            connected: Duration::from_secs(1000 - id),
            min_ping: Some(Duration::from_millis(100)),
            last_block: 0,
            last_tx: 0,
            relevant_services: true,
            relay_txs: true,
            keyed_group: 7,
            is_local: false,
            prefer_evict: false,
        }
    }

    #[test]
    fn too_few_candidates_are_all_protected() {
        assert_eq!(select_to_evict((0..4).map(candidate).collect()), None);
        assert_eq!(select_to_evict(Vec::new()), None);
    }

    #[test]
    fn those_that_gave_blocks_or_transactions_or_ping_fast_are_kept_and_the_youngest_goes() {
        let mut peers: Vec<Candidate> = (0..40).map(candidate).collect();
        // Distinct groups for the first four, so the group protection takes them.
        for (i, p) in peers.iter_mut().enumerate().take(4) {
            p.keyed_group = 100 + i as u64;
        }
        for p in &mut peers[4..12] {
            p.min_ping = Some(Duration::from_millis(1));
        }
        peers[20].last_tx = 50;
        peers[21].last_block = 60;
        let evicted = select_to_evict(peers.clone()).unwrap();
        assert!(!(0..12).contains(&evicted) && evicted != 20 && evicted != 21);
        // Peer 39 connected last: the youngest of the crowded group.
        assert_eq!(evicted, 39);
        // A discouraged peer goes first, whatever its age.
        peers[30].prefer_evict = true;
        assert_eq!(select_to_evict(peers), Some(30));
    }

    #[test]
    fn the_most_crowded_group_loses_a_member() {
        let mut peers: Vec<Candidate> = (0..40).map(candidate).collect();
        for p in peers.iter_mut().skip(30) {
            p.keyed_group = 9;
            p.connected = Duration::from_secs(5000);
        }
        // Group 7 has far more members left after the protections.
        let evicted = select_to_evict(peers).unwrap();
        assert!(evicted < 30, "{evicted}");
    }
}
