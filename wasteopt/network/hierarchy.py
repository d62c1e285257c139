"""Exact many-to-many shortest paths with a contraction hierarchy, compiled with numba.

Nodes are contracted one by one in the order of a lazily updated priority (edge difference,
contracted neighbours and depth); a shortcut ``u -> w`` replaces ``u -> v -> w`` unless a
bounded witness search finds a path no longer without ``v``. Bounding the witness search only
adds shortcuts, so distances stay exact. The many-to-many query is the bucket method: one
upward search backwards from each target leaves ``(target, distance)`` in the bucket of every
node it settles; one upward search forwards from each source meets them there.

Weights are int64 and summed exactly, so the result equals plain Dijkstra bit for bit.
numba rather than a library: none of those measured (igraph, rustworkx, networkit, pandana,
ch-router; see benchmarks/HISTORY.md) is both exact with 64-bit weights and fast enough.
"""

from __future__ import annotations

import numba
import numpy as np

from wasteopt._user_cache import use_user_numba_cache

use_user_numba_cache()

_UNREACHED = np.iinfo(np.int64).max
_WITNESS_SETTLED = 30  # a witness search gives up after settling this many nodes
# node priority: this times the edge difference, plus contracted neighbours, plus this times
# the node's depth; tuned on the 50k-node benchmark grid (fewest shortcuts, fastest build)
_EDGE_DIFFERENCE_WEIGHT = 4
_LEVEL_WEIGHT = 2


@numba.njit(cache=True, nogil=True)
def _heap_push(keys, values, size, key, value):
    """Push onto a binary min-heap held in ``keys``/``values``; return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        values[i] = values[parent]
        i = parent
    keys[i] = key
    values[i] = value
    return size + 1


@numba.njit(cache=True, nogil=True)
def _heap_pop(keys, values, size):
    """Remove the top of the heap (read it first); return the new size."""
    size -= 1
    if size == 0:
        return 0
    key, value = keys[size], values[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        values[i] = values[child]
        i = child
    keys[i] = key
    values[i] = value
    return size


@numba.njit(cache=True)
def _grow(array, size):
    """A copy of ``array`` with room for at least ``size`` items, at least twice as long."""
    bigger = np.empty(max(size, 2 * len(array)), dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


@numba.njit(cache=True)
def _prune(node, first, follow, other, done):
    """Unlink from ``node``'s adjacency list the arcs whose other end is contracted."""
    previous = -1
    e = first[node]
    while e >= 0:
        following = follow[e]
        if done[other[e]]:
            if previous < 0:
                first[node] = following
            else:
                follow[previous] = following
        else:
            previous = e
        e = following


@numba.njit(cache=True)
def _witness(source, skip, bound, graph, done, search, token):
    """Bounded Dijkstra from ``source`` among uncontracted nodes other than ``skip``."""
    first_out, next_out, _, _, _, head, weight = graph
    dist, stamp, heap_keys, heap_values = search
    dist[source] = 0
    stamp[source] = token
    size = _heap_push(heap_keys, heap_values, 0, 0, source)
    settled = 0
    while size > 0 and settled < _WITNESS_SETTLED:
        d, u = heap_keys[0], heap_values[0]
        size = _heap_pop(heap_keys, heap_values, size)
        if d > dist[u]:
            continue
        if d > bound:
            break
        settled += 1
        _prune(u, first_out, next_out, head, done)
        e = first_out[u]
        while e >= 0:
            w = head[e]
            if not done[w] and w != skip:
                candidate = d + weight[e]
                if stamp[w] != token or candidate < dist[w]:
                    stamp[w] = token
                    dist[w] = candidate
                    if size == len(heap_keys):
                        return
                    size = _heap_push(heap_keys, heap_values, size, candidate, w)
            e = next_out[e]


@numba.njit(cache=True)
def _needed_shortcuts(v, graph, done, search, token, pending):
    """The shortcuts contracting ``v`` needs, written as ``(u, w, weight)`` rows of ``pending``.

    ``graph`` is ``(first_out, next_out, first_in, next_in, tail, head, weight)`` and
    ``search`` is ``(dist, stamp, heap_keys, heap_values)``, the witness search's scratch arrays.
    Returns ``(count, arcs_removed, token, pending)``; ``pending`` grows when it must.
    """
    first_out, next_out, first_in, next_in, tail, head, weight = graph
    dist, stamp, heap_keys, heap_values = search
    _prune(v, first_out, next_out, head, done)
    _prune(v, first_in, next_in, tail, done)
    count = 0
    removed = 0
    e_in = first_in[v]
    while e_in >= 0:
        u = tail[e_in]
        if u != v:
            removed += 1
            bound = 0
            e_out = first_out[v]
            while e_out >= 0:
                if head[e_out] != u:
                    bound = max(bound, weight[e_in] + weight[e_out])
                e_out = next_out[e_out]
            token += 1
            _witness(u, v, bound, graph, done, search, token)
            e_out = first_out[v]
            while e_out >= 0:
                w = head[e_out]
                through = weight[e_in] + weight[e_out]
                if w != u and w != v and (stamp[w] != token or dist[w] > through):
                    if count == len(pending):
                        bigger = np.empty((2 * count, 3), dtype=np.int64)
                        bigger[:count] = pending
                        pending = bigger
                    pending[count, 0], pending[count, 1], pending[count, 2] = u, w, through
                    count += 1
                e_out = next_out[e_out]
        e_in = next_in[e_in]
    e_out = first_out[v]
    while e_out >= 0:
        removed += head[e_out] != v
        e_out = next_out[e_out]
    return count, removed, token, pending


@numba.njit(cache=True)
def _add_shortcuts(
    pending, count, n_edges, first_out, next_out, first_in, next_in, tail, head, weight
):
    """Add the pending shortcuts (or lower an existing arc); return the edge arrays and count."""
    for k in range(count):
        u, w, through = pending[k, 0], pending[k, 1], pending[k, 2]
        existing = first_out[u]
        while existing >= 0 and head[existing] != w:
            existing = next_out[existing]
        if existing >= 0:
            weight[existing] = min(weight[existing], through)
            continue
        if n_edges == len(head):
            tail, head, weight = _grow(tail, 0), _grow(head, 0), _grow(weight, 0)
            next_out, next_in = _grow(next_out, 0), _grow(next_in, 0)
        tail[n_edges], head[n_edges], weight[n_edges] = u, w, through
        next_out[n_edges] = first_out[u]
        first_out[u] = n_edges
        next_in[n_edges] = first_in[w]
        first_in[w] = n_edges
        n_edges += 1
    return n_edges, next_out, next_in, tail, head, weight


@numba.njit(cache=True)
def _contract_all(n, tail, head, weight):
    """Contract every node; return ``(rank, tail, head, weight)`` of all arcs and shortcuts."""
    m = len(tail)
    capacity = 3 * m + 16
    tails = np.empty(capacity, dtype=np.int64)
    heads = np.empty(capacity, dtype=np.int64)
    weights = np.empty(capacity, dtype=np.int64)
    next_out = np.empty(capacity, dtype=np.int64)
    next_in = np.empty(capacity, dtype=np.int64)
    first_out = -np.ones(n, dtype=np.int64)
    first_in = -np.ones(n, dtype=np.int64)
    for e in range(m):
        tails[e], heads[e], weights[e] = tail[e], head[e], weight[e]
        next_out[e] = first_out[tail[e]]
        first_out[tail[e]] = e
        next_in[e] = first_in[head[e]]
        first_in[head[e]] = e
    n_edges = m
    done = np.zeros(n, dtype=np.bool_)
    dist = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    token = 0
    search_keys = np.empty(4096, dtype=np.int64)
    search_values = np.empty(4096, dtype=np.int64)
    pending = np.empty((64, 3), dtype=np.int64)
    neighbours_done = np.zeros(n, dtype=np.int64)
    level = np.zeros(n, dtype=np.int64)
    priority = np.zeros(n, dtype=np.int64)
    queue_keys = np.empty(2 * n + 16, dtype=np.int64)
    queue_values = np.empty(2 * n + 16, dtype=np.int64)
    search = (dist, stamp, search_keys, search_values)
    graph = (first_out, next_out, first_in, next_in, tails, heads, weights)
    size = 0
    for v in range(n):
        count, removed, token, pending = _needed_shortcuts(v, graph, done, search, token, pending)
        priority[v] = _EDGE_DIFFERENCE_WEIGHT * (count - removed)
        size = _heap_push(queue_keys, queue_values, size, priority[v], v)
    rank = -np.ones(n, dtype=np.int64)
    for next_rank in range(n):
        while True:
            key, v = queue_keys[0], queue_values[0]
            size = _heap_pop(queue_keys, queue_values, size)
            if done[v] or key != priority[v]:
                continue
            count, removed, token, pending = _needed_shortcuts(
                v, graph, done, search, token, pending
            )
            fresh = (
                _EDGE_DIFFERENCE_WEIGHT * (count - removed)
                + neighbours_done[v]
                + _LEVEL_WEIGHT * level[v]
            )
            if size == 0 or fresh <= queue_keys[0]:
                break
            priority[v] = fresh
            if size == len(queue_keys):
                queue_keys, queue_values = _grow(queue_keys, 0), _grow(queue_values, 0)
            size = _heap_push(queue_keys, queue_values, size, fresh, v)
        n_edges, next_out, next_in, tails, heads, weights = _add_shortcuts(
            pending, count, n_edges, first_out, next_out, first_in, next_in, tails, heads, weights
        )
        graph = (first_out, next_out, first_in, next_in, tails, heads, weights)
        done[v] = True
        rank[v] = next_rank
        for first, follow, other in ((first_out, next_out, heads), (first_in, next_in, tails)):
            e = first[v]
            while e >= 0:
                neighbours_done[other[e]] += 1
                level[other[e]] = max(level[other[e]], level[v] + 1)
                e = follow[e]
    return rank, tails[:n_edges].copy(), heads[:n_edges].copy(), weights[:n_edges].copy()


def _csr(owner: np.ndarray, other: np.ndarray, weight: np.ndarray, n: int):
    order = np.argsort(owner, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=indptr[1:])
    return indptr, other[order], weight[order]


@numba.njit(cache=True, nogil=True)
def _upward(
    seed,
    up_indptr,
    up_next,
    up_weight,
    down_indptr,
    down_next,
    down_weight,
    dist,
    stamp,
    token,
    heap_keys,
    heap_values,
    settled,
):
    """Upward Dijkstra from ``seed`` with stall-on-demand; return how many nodes it settled.

    The settled nodes are left in ``settled`` and their distances in ``dist``.
    """
    dist[seed] = 0
    stamp[seed] = token
    size = _heap_push(heap_keys, heap_values, 0, 0, seed)
    count = 0
    while size > 0:
        d, u = heap_keys[0], heap_values[0]
        size = _heap_pop(heap_keys, heap_values, size)
        if d > dist[u]:
            continue
        stalled = False
        for a in range(down_indptr[u], down_indptr[u + 1]):
            x = down_next[a]
            if stamp[x] == token and dist[x] + down_weight[a] < d:
                stalled = True
                break
        if stalled:
            continue
        settled[count] = u
        count += 1
        for a in range(up_indptr[u], up_indptr[u + 1]):
            w = up_next[a]
            candidate = d + up_weight[a]
            if stamp[w] != token or candidate < dist[w]:
                stamp[w] = token
                dist[w] = candidate
                size = _heap_push(heap_keys, heap_values, size, candidate, w)
    return count


@numba.njit(cache=True)
def _buckets(targets, n, bw_indptr, bw_next, bw_weight, fw_indptr, fw_next, fw_weight):
    """``(indptr, target, distance)``: per node, the targets its backward searches reached."""
    dist = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    heap_keys = np.empty(len(bw_next) + 1, dtype=np.int64)
    heap_values = np.empty(len(bw_next) + 1, dtype=np.int64)
    settled = np.empty(n, dtype=np.int64)
    node = np.empty(16 * len(targets) + 16, dtype=np.int64)
    target = np.empty_like(node)
    distance = np.empty_like(node)
    total = 0
    for k in range(len(targets)):
        count = _upward(
            targets[k],
            bw_indptr,
            bw_next,
            bw_weight,
            fw_indptr,
            fw_next,
            fw_weight,
            dist,
            stamp,
            k + 1,
            heap_keys,
            heap_values,
            settled,
        )
        if total + count > len(node):
            node = _grow(node, total + count)
            target = _grow(target, total + count)
            distance = _grow(distance, total + count)
        for i in range(count):
            node[total], target[total], distance[total] = settled[i], k, dist[settled[i]]
            total += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(total):
        indptr[node[i] + 1] += 1
    for u in range(n):
        indptr[u + 1] += indptr[u]
    fill = indptr[:-1].copy()
    by_node_target = np.empty(total, dtype=np.int64)
    by_node_distance = np.empty(total, dtype=np.int64)
    for i in range(total):
        at = fill[node[i]]
        by_node_target[at], by_node_distance[at] = target[i], distance[i]
        fill[node[i]] += 1
    return indptr, by_node_target, by_node_distance


@numba.njit(cache=True)
def _meet(
    sources,
    n_targets,
    n,
    fw_indptr,
    fw_next,
    fw_weight,
    bw_indptr,
    bw_next,
    bw_weight,
    bucket_indptr,
    bucket_target,
    bucket_distance,
):
    """Forward upward search from every source, scanning the buckets of the nodes it settles."""
    found = np.full((len(sources), n_targets), _UNREACHED, dtype=np.int64)
    dist = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    heap_keys = np.empty(len(fw_next) + 1, dtype=np.int64)
    heap_values = np.empty(len(fw_next) + 1, dtype=np.int64)
    settled = np.empty(n, dtype=np.int64)
    for j in range(len(sources)):
        count = _upward(
            sources[j],
            fw_indptr,
            fw_next,
            fw_weight,
            bw_indptr,
            bw_next,
            bw_weight,
            dist,
            stamp,
            j + 1,
            heap_keys,
            heap_values,
            settled,
        )
        row = found[j]
        for i in range(count):
            u = settled[i]
            d = dist[u]
            for b in range(bucket_indptr[u], bucket_indptr[u + 1]):
                candidate = d + bucket_distance[b]
                if candidate < row[bucket_target[b]]:
                    row[bucket_target[b]] = candidate
    return found


class Hierarchy:
    """A contraction hierarchy of a directed graph with non-negative int64 arc weights."""

    def __init__(self, n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray):
        rank, tails, heads, weights = _contract_all(
            n, tail.astype(np.int64), head.astype(np.int64), weight.astype(np.int64)
        )
        self.n = n
        up = rank[tails] < rank[heads]
        self.forward = _csr(tails[up], heads[up], weights[up], n)
        down = ~up & (tails != heads)
        self.backward = _csr(heads[down], tails[down], weights[down], n)

    def many_to_many(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Shortest-path lengths, ``(len(sources), len(targets))``; unreachable pairs get -1."""
        buckets = _buckets(targets.astype(np.int64), self.n, *self.backward, *self.forward)
        found = _meet(
            sources.astype(np.int64), len(targets), self.n, *self.forward, *self.backward, *buckets
        )
        found[found == _UNREACHED] = -1
        return found
