//! Leader election for a failover epoch (`sentinelGetLeader`).
//!
//! Every sentinel votes at most once per epoch (see `vote_leader`). The winner needs the
//! votes of an absolute majority of all the sentinels known for the master (us included) and
//! at least `quorum` votes: quorum only gates ODOWN detection, authorisation needs a majority.

use indexmap::IndexMap;

use super::SentinelCore;

impl SentinelCore {
    /// Counts the votes for `epoch`, casting our own (for the most voted sentinel, or for
    /// ourselves when nobody has votes), and returns the leader if one has enough votes.
    pub(crate) fn get_leader(&mut self, m: usize, epoch: u64) -> Option<String> {
        let master = &self.masters[m];
        let voters = master.sentinels.len() as u64 + 1;
        let mut counters: IndexMap<String, u64> = IndexMap::new();
        for ri in master.sentinels.values() {
            if let Some(leader) = &ri.leader
                && ri.leader_epoch == self.current_epoch
            {
                *counters.entry(leader.clone()).or_insert(0) += 1;
            }
        }
        let mut winner: Option<String> = None;
        let mut max_votes = 0u64;
        for (runid, &votes) in &counters {
            if votes > max_votes {
                max_votes = votes;
                winner = Some(runid.clone());
            }
        }
        let candidate = winner.clone().unwrap_or_else(|| self.myid.clone());
        let (myvote, leader_epoch) = self.vote_leader(m, epoch, &candidate);
        if let Some(myvote) = myvote
            && leader_epoch == epoch
        {
            let votes = counters.entry(myvote.clone()).or_insert(0);
            *votes += 1;
            if *votes > max_votes {
                max_votes = *votes;
                winner = Some(myvote);
            }
        }
        let voters_quorum = voters / 2 + 1;
        let quorum = u64::from(self.masters[m].quorum);
        winner.filter(|_| max_votes >= voters_quorum && max_votes >= quorum)
    }
}
