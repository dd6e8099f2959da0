//! Work spread over threads with rayon: a pool of the size the caller asked
//! for (`jobs`), results in input order.

use rayon::prelude::*;

/// `items.iter().map(f).collect()` on `jobs` threads (on this one when
/// `jobs` is 1, or when no pool can be made), in the order of `items`.
pub(crate) fn map<T, R, F>(jobs: usize, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    map_in(pool(jobs).as_ref(), items, f)
}

/// A pool of `jobs` threads for [`map_in`], made once for many calls;
/// `None` for one job (or when no pool can be made): the caller's thread.
pub(crate) fn pool(jobs: usize) -> Option<rayon::ThreadPool> {
    (jobs > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build()
                .ok()
        })
        .flatten()
}

/// [`map`] on `pool`'s threads, or on this one without a pool.
pub(crate) fn map_in<T, R, F>(pool: Option<&rayon::ThreadPool>, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    match pool {
        Some(pool) => pool.install(|| items.par_iter().map(&f).collect()),
        None => items.iter().map(f).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_input_order_whatever_the_threads() {
        let items: Vec<u64> = (0..10_000).collect();
        let squares: Vec<u64> = items.iter().map(|n| n * n).collect();
        for jobs in [1, 2, 7] {
            assert_eq!(super::map(jobs, &items, |n| n * n), squares);
        }
    }
}
