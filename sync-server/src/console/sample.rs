//! The spot-check sample: which sites of an area a supervisor visits unannounced,
//! drawn at random from a seed so that the same seed, area and weights give the same
//! sites again (the seed is shown on the plan, and can be entered to redraw it).
//!
//! Pure: no storage, no clock. The generator is our own SplitMix64 rather than a
//! library's, so a seed written on a plan last year still draws the same sites after
//! any dependency upgrade. Sites are drawn without replacement by weight
//! (Efraimidis and Spirakis: each site's key is `ln(u) / weight`, the largest keys win).

/// Site kinds a supervisor may weight towards: where people who cannot easily leave
/// a building gather (care institutions, schools) and crowded trading (markets).
pub const SENSITIVE_KINDS: [&str; 3] = ["care-institution", "school", "market"];

/// A site that may be drawn, with what the weights look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The site id.
    pub site: String,
    /// The site's kind (one of the model's site kinds).
    pub kind: String,
    /// How many of its hazard cases are open.
    pub open_hazards: u32,
    /// Days since its last submitted inspection; `None` if never inspected.
    pub days_since_visit: Option<u32>,
}

/// What to weight the sample towards; all off draws every site alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weights {
    /// Sites with open hazards (more open cases, more weight, up to three).
    pub open_hazards: bool,
    /// Sites not visited for a long time (a month more, more weight, up to six months;
    /// never visited counts as six months).
    pub long_unvisited: bool,
    /// Sites of a sensitive kind ([`SENSITIVE_KINDS`]).
    pub sensitive: bool,
}

impl Weights {
    /// The weight of one candidate: 1, multiplied by each chosen factor.
    pub fn of(&self, c: &Candidate) -> f64 {
        let mut weight = 1.0;
        if self.open_hazards {
            weight *= 1.0 + 2.0 * f64::from(c.open_hazards.min(3));
        }
        if self.long_unvisited {
            let days = c.days_since_visit.unwrap_or(180).min(180);
            weight *= 1.0 + f64::from(days) / 30.0;
        }
        if self.sensitive && SENSITIVE_KINDS.contains(&c.kind.as_str()) {
            weight *= 4.0;
        }
        weight
    }
}

/// SplitMix64 (Steele, Lea and Flood): a 64-bit state stepped by a constant and mixed;
/// small, fast, and fixed forever by its definition.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in (0, 1]: never 0, so its logarithm is finite.
    pub fn next_unit(&mut self) -> f64 {
        // 53 random bits, the precision of an f64, plus one.
        let bits = (self.next_u64() >> 11) + 1;
        bits as f64 / (1u64 << 53) as f64
    }
}

/// Draws up to `count` sites from `candidates` with `seed` and `weights`: the chosen
/// site ids, most strongly drawn first. The candidates' order does not matter (they
/// are put in site-id order first), so the same seed over the same sites draws the same.
pub fn draw(candidates: &[Candidate], count: usize, seed: u64, weights: Weights) -> Vec<String> {
    let mut ordered: Vec<&Candidate> = candidates.iter().collect();
    ordered.sort_by(|a, b| a.site.cmp(&b.site));
    ordered.dedup_by(|a, b| a.site == b.site);
    let mut rng = SplitMix64::new(seed);
    let mut keyed: Vec<(f64, &str)> = ordered
        .iter()
        .map(|c| (rng.next_unit().ln() / weights.of(c), c.site.as_str()))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    keyed
        .into_iter()
        .take(count)
        .map(|(_, site)| site.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                site: format!("site-{i:03}"),
                kind: if i % 10 == 0 { "school" } else { "residential" }.into(),
                open_hazards: u32::from(i % 7 == 0),
                days_since_visit: (i % 5 != 0).then_some(u32::try_from(i).unwrap_or(0)),
            })
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_sites_whatever_their_order() {
        let all = sites(200);
        let weights = Weights {
            open_hazards: true,
            long_unvisited: true,
            sensitive: true,
        };
        let first = draw(&all, 12, 20_261_130, weights);
        assert_eq!(first.len(), 12);
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, 12, 20_261_130, weights), first);
        assert_ne!(draw(&all, 12, 20_261_131, weights), first);
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 12, "no site twice");
    }

    #[test]
    fn the_generator_is_splitmix64_as_defined() {
        // The first outputs for seed 0 and seed 1234567, from the published definition.
        let mut zero = SplitMix64::new(0);
        assert_eq!(zero.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(zero.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut other = SplitMix64::new(1_234_567);
        assert_eq!(other.next_u64(), 6_457_827_717_110_365_317);
    }

    #[test]
    fn weights_pull_the_sample_towards_sensitive_sites() {
        let all = sites(200);
        let mut plain_schools = 0;
        let mut weighted_schools = 0;
        for seed in 0..200 {
            let count_schools = |drawn: Vec<String>| {
                drawn
                    .iter()
                    .filter(|s| all.iter().any(|c| &c.site == *s && c.kind == "school"))
                    .count()
            };
            plain_schools += count_schools(draw(&all, 10, seed, Weights::default()));
            weighted_schools += count_schools(draw(
                &all,
                10,
                seed,
                Weights {
                    sensitive: true,
                    ..Weights::default()
                },
            ));
        }
        // Schools are a tenth of the sites: about 200 drawn plainly, near 600 weighted.
        assert!(plain_schools < 300, "{plain_schools}");
        assert!(weighted_schools > 2 * plain_schools, "{weighted_schools}");
    }

    #[test]
    fn a_count_over_the_sites_draws_them_all() {
        let all = sites(5);
        assert_eq!(draw(&all, 50, 7, Weights::default()).len(), 5);
        assert!(draw(&[], 3, 7, Weights::default()).is_empty());
    }
}
