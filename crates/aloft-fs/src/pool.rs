//! One bounded worker pool for the crates that do many independent jobs (layers,
//! downloads, indexes).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs `work` over `items` on at most `jobs` scoped threads, taking items in the order
/// `order` gives (all of `0..items.len()` when `None`), and returns the results in item
/// order. After the first error no new item starts; the error of the lowest-numbered
/// failed item is returned. The order of work never shows in the result.
pub fn try_map_parallel<T, R, E, F>(
    items: &[T],
    jobs: usize,
    order: Option<&[usize]>,
    work: F,
) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let identity: Vec<usize>;
    let order = match order {
        Some(order) => order,
        None => {
            identity = (0..items.len()).collect();
            &identity
        }
    };
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Mutex<Option<Result<R, E>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = order.get(n) else { break };
                    let Some(item) = items.get(i) else { break };
                    let result = work(item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for slot in results {
        match slot.into_inner().ok().flatten() {
            Some(Ok(result)) => out.push(result),
            Some(Err(err)) => return Err(err),
            // Not started because another item failed; that error comes first or later.
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_item_order_whatever_the_work_order() {
        let items: Vec<u64> = (0..50).collect();
        let reversed: Vec<usize> = (0..50).rev().collect();
        for jobs in [1, 3, 16] {
            let out: Result<Vec<u64>, ()> =
                try_map_parallel(&items, jobs, Some(&reversed), |n| Ok(n * 2));
            assert_eq!(out, Ok(items.iter().map(|n| n * 2).collect()));
        }
    }

    #[test]
    fn an_error_is_returned_and_stops_new_work() {
        let items: Vec<u32> = (0..1000).collect();
        let started = AtomicUsize::new(0);
        let out = try_map_parallel(&items, 1, None, |n| {
            started.fetch_add(1, Ordering::Relaxed);
            if *n == 3 {
                Err(format!("item {n}"))
            } else {
                Ok(*n)
            }
        });
        assert_eq!(out, Err("item 3".to_owned()));
        assert_eq!(started.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn no_items_no_threads_needed() {
        let out: Result<Vec<u8>, ()> = try_map_parallel(&[] as &[u8], 0, None, |b| Ok(*b));
        assert_eq!(out, Ok(Vec::new()));
    }
}
