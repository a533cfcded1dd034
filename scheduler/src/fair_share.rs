//! Fair share: per node pool, top down, every cycle (DESIGN.md, "Fair share").
//!
//! Each unit first gets `min(deserved, demand)`, not capped by its parent's share (quotas may be
//! over-subscribed). What is left of the parent's share goes to the units that still want more:
//! higher rank first; within a rank in proportion to over-quota weight, in rounds. A unit whose unmet
//! demand fits its offer takes it; the others take the whole-GPU floor of their offer; rounds repeat
//! while someone was satisfied with less than its offer. Weight 0 gets no surplus. GPUs left over go
//! one at a time to the largest remainders (ties: the older unit, then the name).

use crate::index::{Index, ROOT};
use crate::quantity::MilliGpus;
use crate::usage::TimeFairShare;

/// One sibling as the division sees it.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub deserved: MilliGpus,
    pub demand: MilliGpus,
    pub weight: u32,
    pub rank: i32,
    /// Past GPU-seconds, weighed (time-based fair share).
    pub usage: f64,
    /// Creation order: the older wins ties.
    pub order: usize,
    pub name: String,
}

/// Divides `share` among siblings; returns what each gets, in the claims' order. With time-based
/// fair share on, the over-quota weights of each rank's contenders are first adjusted by their
/// past usage ([`TimeFairShare::adjust`]); those adjusted to 0 share what the others leave.
pub(crate) fn divide(share: MilliGpus, claims: &[Claim], time: &TimeFairShare) -> Vec<MilliGpus> {
    let mut given: Vec<MilliGpus> = claims
        .iter()
        .map(|c| c.deserved.min(c.demand).clamp_non_negative())
        .collect();
    let mut remaining = (share - given.iter().copied().sum()).clamp_non_negative();

    let mut ranks: Vec<i32> = claims.iter().map(|c| c.rank).collect();
    ranks.sort_unstable_by(|a, b| b.cmp(a));
    ranks.dedup();
    for rank in ranks {
        if remaining <= MilliGpus::ZERO {
            break;
        }
        let contenders: Vec<usize> = (0..claims.len())
            .filter(|&i| {
                claims[i].rank == rank && claims[i].weight > 0 && given[i] < claims[i].demand
            })
            .collect();
        let base: Vec<f64> = contenders
            .iter()
            .map(|&i| f64::from(claims[i].weight))
            .collect();
        let usage: Vec<f64> = contenders.iter().map(|&i| claims[i].usage).collect();
        let adjusted = time.adjust(&base, &usage);
        let mut weights = vec![0f64; claims.len()];
        let mut first = Vec::with_capacity(contenders.len());
        let mut last = Vec::new();
        for (k, &i) in contenders.iter().enumerate() {
            if adjusted[k] > 0.0 {
                weights[i] = adjusted[k];
                first.push(i);
            } else {
                last.push(i);
            }
        }
        split(&mut remaining, first, &weights, claims, &mut given);
        for &i in &last {
            weights[i] = f64::from(claims[i].weight);
        }
        split(&mut remaining, last, &weights, claims, &mut given);
    }
    given
}

/// Splits `remaining` among `active` by `weights`: weighted rounds, then whole GPUs to the
/// largest remainders.
fn split(
    remaining: &mut MilliGpus,
    mut active: Vec<usize>,
    weights: &[f64],
    claims: &[Claim],
    given: &mut [MilliGpus],
) {
    let mut remainders = vec![0f64; claims.len()];
    // Weighted rounds.
    loop {
        if *remaining <= MilliGpus::ZERO || active.is_empty() {
            break;
        }
        let total_weight: f64 = active.iter().map(|&i| weights[i]).sum();
        let round = *remaining;
        let mut satisfied_any = false;
        let mut taken = MilliGpus::ZERO;
        active.retain(|&i| {
            let offer = round.0 as f64 * weights[i] / total_weight;
            let unmet = claims[i].demand - given[i];
            if (unmet.0 as f64) <= offer {
                given[i] += unmet;
                taken += unmet;
                satisfied_any = true;
                false
            } else {
                let take = MilliGpus(offer.floor() as i64).floor_whole();
                given[i] += take;
                taken += take;
                remainders[i] = offer - take.0 as f64;
                true
            }
        });
        *remaining -= taken;
        if !satisfied_any {
            break;
        }
    }
    // Leftovers, one GPU at a time, to the largest remainders.
    active.sort_by(|&a, &b| {
        remainders[b]
            .total_cmp(&remainders[a])
            .then(claims[a].order.cmp(&claims[b].order))
            .then(claims[a].name.cmp(&claims[b].name))
    });
    while *remaining > MilliGpus::ZERO && !active.is_empty() {
        active.retain(|&i| {
            if *remaining <= MilliGpus::ZERO {
                return true;
            }
            let unmet = claims[i].demand - given[i];
            let take = unmet.min(MilliGpus::ONE).min(*remaining);
            given[i] += take;
            *remaining -= take;
            given[i] < claims[i].demand
        });
    }
}

/// Demand of every queue in `pool`: allocated plus pending, capped by limits bottom up.
/// `own_demand[q]` holds the uncapped demand of each project (zero for departments).
pub(crate) fn demands(index: &Index<'_>, pool: usize, own_demand: &[MilliGpus]) -> Vec<MilliGpus> {
    fn visit(
        index: &Index<'_>,
        pool: usize,
        q: usize,
        own: &[MilliGpus],
        out: &mut [MilliGpus],
    ) -> MilliGpus {
        let children: MilliGpus = index.queues[q]
            .children
            .iter()
            .map(|&c| visit(index, pool, c, own, out))
            .sum();
        let mut demand = own[q] + children;
        if q != ROOT
            && let Some(limit) = index.quota(q, pool).limit
        {
            demand = demand.min(limit);
        }
        out[q] = demand;
        demand
    }
    let mut out = vec![MilliGpus::ZERO; index.queues.len()];
    visit(index, pool, ROOT, own_demand, &mut out);
    out
}

/// Fair share of every queue in `pool`, given each queue's (capped) demand.
pub(crate) fn fair_shares(
    index: &Index<'_>,
    pool: usize,
    demand: &[MilliGpus],
    time: &TimeFairShare,
) -> Vec<MilliGpus> {
    let mut share = vec![MilliGpus::ZERO; index.queues.len()];
    share[ROOT] = index.pools[pool].capacity;
    let mut stack = vec![ROOT];
    while let Some(q) = stack.pop() {
        let children = &index.queues[q].children;
        if children.is_empty() {
            continue;
        }
        let claims: Vec<Claim> = children
            .iter()
            .map(|&c| {
                let quota = index.quota(c, pool);
                Claim {
                    deserved: quota.deserved,
                    demand: demand[c],
                    weight: quota.over_quota_weight,
                    rank: quota.rank,
                    usage: index.queues[c].usage[pool],
                    order: index.queues[c].order,
                    name: index.queues[c].name.clone(),
                }
            })
            .collect();
        let given = divide(share[q], &claims, time);
        for (&c, g) in children.iter().zip(given) {
            share[c] = g;
            stack.push(c);
        }
    }
    share
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(
        name: &str,
        deserved: i64,
        demand: i64,
        weight: u32,
        rank: i32,
        order: usize,
    ) -> Claim {
        Claim {
            deserved: MilliGpus::whole(deserved),
            demand: MilliGpus::whole(demand),
            weight,
            rank,
            usage: 0.0,
            order,
            name: name.into(),
        }
    }

    fn off() -> TimeFairShare {
        TimeFairShare::default()
    }

    fn gpus(v: Vec<MilliGpus>) -> Vec<f64> {
        v.into_iter().map(MilliGpus::as_gpus).collect()
    }

    #[test]
    fn each_unit_first_gets_its_deserved_quota_up_to_its_demand() {
        let got = divide(
            MilliGpus::whole(4),
            &[claim("a", 2, 3, 1, 100, 0), claim("b", 2, 1, 1, 100, 1)],
            &off(),
        );
        assert_eq!(gpus(got), vec![3.0, 1.0]);
    }

    #[test]
    fn surplus_is_split_by_over_quota_weight() {
        // 8 idle GPUs beyond deserved, weights 3:1, both want everything.
        let got = divide(
            MilliGpus::whole(8),
            &[claim("a", 0, 8, 3, 100, 0), claim("b", 0, 8, 1, 100, 1)],
            &off(),
        );
        assert_eq!(gpus(got), vec![6.0, 2.0]);
    }

    #[test]
    fn a_unit_satisfied_with_less_than_its_offer_leaves_the_rest_to_others() {
        let got = divide(
            MilliGpus::whole(10),
            &[
                claim("a", 0, 1, 1, 100, 0),
                claim("b", 0, 10, 1, 100, 1),
                claim("c", 0, 10, 1, 100, 2),
            ],
            &off(),
        );
        assert_eq!(gpus(got), vec![1.0, 5.0, 4.0]);
    }

    #[test]
    fn leftover_whole_gpus_go_to_the_largest_remainder_then_the_older_unit() {
        // 3 GPUs among 2 equal units: 1.5 each, floor 1 each, the leftover goes to the older one.
        let got = divide(
            MilliGpus::whole(3),
            &[claim("b", 0, 5, 1, 100, 1), claim("a", 0, 5, 1, 100, 0)],
            &off(),
        );
        assert_eq!(gpus(got), vec![1.0, 2.0]);
    }

    #[test]
    fn higher_rank_takes_the_surplus_first() {
        let got = divide(
            MilliGpus::whole(6),
            &[claim("low", 1, 6, 1, 50, 0), claim("high", 1, 6, 1, 200, 1)],
            &off(),
        );
        assert_eq!(gpus(got), vec![1.0, 5.0]);
    }

    #[test]
    fn weight_zero_gets_no_surplus() {
        let got = divide(
            MilliGpus::whole(6),
            &[claim("z", 1, 6, 0, 100, 0), claim("w", 1, 6, 1, 100, 1)],
            &off(),
        );
        assert_eq!(gpus(got), vec![1.0, 5.0]);
    }

    #[test]
    fn over_subscribed_quotas_are_each_given_in_full() {
        let got = divide(
            MilliGpus::whole(4),
            &[claim("a", 4, 4, 1, 100, 0), claim("b", 4, 4, 1, 100, 1)],
            &off(),
        );
        assert_eq!(gpus(got), vec![4.0, 4.0]);
    }

    fn with_usage(mut c: Claim, usage: f64) -> Claim {
        c.usage = usage;
        c
    }

    fn k(k_value: f64) -> TimeFairShare {
        TimeFairShare {
            k_value,
            ..TimeFairShare::default()
        }
    }

    #[test]
    fn with_time_based_fair_share_the_unit_that_used_less_gets_more_of_the_surplus() {
        let claims = [
            with_usage(claim("a", 0, 8, 1, 100, 0), 3.0),
            with_usage(claim("b", 0, 8, 1, 100, 1), 1.0),
        ];
        // k = 0: the weight split.
        assert_eq!(
            gpus(divide(MilliGpus::whole(8), &claims, &off())),
            vec![4.0, 4.0]
        );
        // k = 1: weights 0.75 and 1.25.
        assert_eq!(
            gpus(divide(MilliGpus::whole(8), &claims, &k(1.0))),
            vec![3.0, 5.0]
        );
    }

    #[test]
    fn deserved_quota_is_never_affected_by_usage() {
        let claims = [
            with_usage(claim("a", 3, 8, 1, 100, 0), 100.0),
            with_usage(claim("b", 1, 8, 1, 100, 1), 0.0),
        ];
        // k = 4: a's weight falls to 0, yet it keeps its 3 deserved GPUs.
        assert_eq!(
            gpus(divide(MilliGpus::whole(8), &claims, &k(4.0))),
            vec![3.0, 5.0]
        );
    }

    #[test]
    fn a_unit_whose_weight_usage_took_to_zero_still_gets_what_others_leave() {
        let claims = [
            with_usage(claim("a", 0, 2, 1, 100, 0), 1.0),
            with_usage(claim("b", 0, 6, 1, 100, 1), 0.0),
        ];
        assert_eq!(
            gpus(divide(MilliGpus::whole(8), &claims, &k(4.0))),
            vec![2.0, 6.0]
        );
    }
}
