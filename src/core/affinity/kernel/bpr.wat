;; Weighted BPR over P > U > N: the reference loop's samples and steps (src/core/affinity/bpr.ts), in float32
;; arithmetic with f32x4 over the factors (the reference computes in f64 between float32 loads and stores;
;; the two agree to ~1e-6). Assembled by scripts/build-wasm.mjs.
;;
;; `train(ctx, samples)` takes `samples` steps for one thread. Its context is 128 bytes written by
;; bpr-wasm.ts (byte offsets):
;;    0 P (user rows)      4 Q (item rows)     8 B (item biases)     12 rowBytes (row stride, multiple of 32)
;;   16 users: 16 B each, rowPtr[u], pEnd[u], rowPtr[u + 1]
;;   20 items (by cell)   24 weight (f32, by cell; read for (P, N) pairs only)
;;   28 posCells: 12 B per P cell, (user, item, weight)   32 nPos     36 negCells, the same for N cells
;;   40 nNeg              44 nItems           48 buf (64 B per sample)    52 batch (samples per buffer)
;;   56 bloom (u32 words)  60 bloomShift = 32 - log2(words)
;;   64 decay = fround(lr * reg) (f32)        72 lr (f64)
;;   80..92 sfc32 state a, b, c, d (read at entry, written back at exit)      96 sink
;; Rows are padded with zeros to rowBytes; the step keeps the padding at zero.
;;
;; Where the time goes is the chain of dependent random look-ups (cell, user, row), not arithmetic. So:
;; - A step's draws do not depend on the factors, so a buffer of samples is drawn first and stepped through
;;   after. Drawing goes in passes over the buffer, each issuing one independent load per sample (the cell,
;;   then the user's row bounds, then the third draw), so the CPU overlaps the cache misses of many samples
;;   instead of waiting on each chain in turn; a pass over the samples' rows then pulls them into cache.
;; - The passes assume the common path, where every sample takes 2 random words (3 with an N tier): a U draw
;;   that lands in the user's row must be drawn again, and then that sample is redone exactly from its saved
;;   state ($drawExact) and the buffer ends there, so the random stream is always the reference's.
;; - "Is item j in user u's row" first asks a blocked Bloom filter (one word, two bits, from a hash of
;;   (u, j); bpr-wasm.ts builds it): a clear bit settles it with one look-up, and only the rare hits run the
;;   binary searches, whose answer is exact.
;;
;; Buffer entry (64 bytes): 0 u, 4 i, 8 j, 12 w (f32), 16..24 random words, 28 the cell's item, 32..44 sfc32
;; state before the sample, 48 rowPtr[u], 52 pEnd[u], 56 rowPtr[u + 1], 60 pair type.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; e^x in f64: x = n ln2 + r with |r| <= ln2/2, then a degree-8 Taylor polynomial (relative error < 3e-10,
  ;; far below float32's 6e-8) scaled by 2^n built in the exponent bits. Inlined in `train`; exported for
  ;; the test of its accuracy.
  (func $exp (export "exp") (param $x f64) (result f64)
    (local $n f64) (local $r f64)
    (local.set $x (f64.min (f64.max (local.get $x) (f64.const -700)) (f64.const 700)))
    (local.set $n (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))
    (local.set $r
      (f64.sub
        (f64.sub (local.get $x) (f64.mul (local.get $n) (f64.const 0.6931471803691238)))
        (f64.mul (local.get $n) (f64.const 1.9082149292705877e-10))))
    (f64.mul
      (f64.add (f64.const 1)
        (f64.mul (local.get $r)
          (f64.add (f64.const 1)
            (f64.mul (local.get $r)
              (f64.add (f64.const 0.5)
                (f64.mul (local.get $r)
                  (f64.add (f64.const 0.16666666666666666)
                    (f64.mul (local.get $r)
                      (f64.add (f64.const 0.041666666666666664)
                        (f64.mul (local.get $r)
                          (f64.add (f64.const 0.008333333333333333)
                            (f64.mul (local.get $r)
                              (f64.add (f64.const 0.001388888888888889)
                                (f64.mul (local.get $r)
                                  (f64.add (f64.const 0.0001984126984126984)
                                    (f64.mul (local.get $r) (f64.const 0.0000248015873015873)))))))))))))))))
      (f64.reinterpret_i64
        (i64.shl (i64.add (i64.trunc_sat_f64_s (local.get $n)) (i64.const 1023)) (i64.const 52)))))

  ;; Random.int(n) of the 32-bit draw t: floor(t / 2^32 * n), in f64 exactly as JS computes it. Inlined in
  ;; `train` (Node 20's V8 does not inline wasm calls); called on the rare path.
  (func $int (param $t i32) (param $n i32) (result i32)
    (i32.trunc_f64_u (f64.mul (f64.mul (f64.convert_i32_u (local.get $t)) (f64.const 0x1p-32))
      (f64.convert_i32_s (local.get $n)))))

  ;; 1 when x is in the sorted items[lo, hi), else 0. Branch-free halving: the loop exit is the only branch.
  (func $inBlock (param $items i32) (param $lo i32) (param $hi i32) (param $x i32) (result i32)
    (local $len i32) (local $half i32)
    (local.set $len (i32.sub (local.get $hi) (local.get $lo)))
    (block $done
      (loop $halve
        (br_if $done (i32.le_s (local.get $len) (i32.const 1)))
        (local.set $half (i32.shr_u (local.get $len) (i32.const 1)))
        (local.set $lo (select
          (i32.add (local.get $lo) (local.get $half))
          (local.get $lo)
          (i32.le_s (i32.load (i32.add (local.get $items) (i32.shl (i32.add (local.get $lo) (local.get $half)) (i32.const 2))))
            (local.get $x))))
        (local.set $len (i32.sub (local.get $len) (local.get $half)))
        (br $halve)))
    (i32.and (i32.gt_s (local.get $len) (i32.const 0))
      (i32.eq (i32.load (i32.add (local.get $items) (i32.shl (local.get $lo) (i32.const 2)))) (local.get $x))))

  ;; 1 when item x is in user u's row (bounds lo, mid, hi): the P block [lo, mid) or the N block [mid, hi).
  (func $inRow (param $ctx i32) (param $u i32) (param $x i32) (param $lo i32) (param $mid i32) (param $hi i32)
    (result i32)
    (local $items i32)
    (local.set $items (i32.load offset=20 (local.get $ctx)))
    (i32.or
      (call $inBlock (local.get $items) (local.get $lo) (local.get $mid) (local.get $x))
      (call $inBlock (local.get $items) (local.get $mid) (local.get $hi) (local.get $x))))

  ;; One sample exactly as the reference draws it, from the sfc32 state saved in buffer entry $e; writes
  ;; (u, i, j, w) into the entry and the state after the sample into the context.
  (func $drawExact (param $ctx i32) (param $e i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32)
    (local $type i32) (local $cell i32) (local $cn i32) (local $usr i32) (local $u i32) (local $i i32)
    (local $j i32) (local $w f32) (local $need i32) (local $lo i32) (local $mid i32) (local $hi i32)
    (local $x i32) (local $tries i32)
    (local.set $a (i32.load offset=32 (local.get $e)))
    (local.set $b (i32.load offset=36 (local.get $e)))
    (local.set $c (i32.load offset=40 (local.get $e)))
    (local.set $d (i32.load offset=44 (local.get $e)))
    ;; Each sfc32 step below is Random.nextUint32: t = a + b + d; d += 1; a = b ^ b >>> 9;
    ;; b = c + (c << 3); c = rotl(c, 21) + t.
    (if (i32.load offset=40 (local.get $ctx))
      (then
        (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
        (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
        (local.set $type (call $int (local.get $t) (i32.const 3)))))
    (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
    (local.set $d (i32.add (local.get $d) (i32.const 1)))
    (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
    (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
    (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
    ;; (U, N) starts from an N cell, the others from a P cell.
    (local.set $cell (select
      (i32.add (i32.load offset=36 (local.get $ctx))
        (i32.mul (call $int (local.get $t) (i32.load offset=40 (local.get $ctx))) (i32.const 12)))
      (i32.add (i32.load offset=28 (local.get $ctx))
        (i32.mul (call $int (local.get $t) (i32.load offset=32 (local.get $ctx))) (i32.const 12)))
      (i32.eq (local.get $type) (i32.const 2))))
    (local.set $u (i32.load offset=0 (local.get $cell)))
    (local.set $x (i32.load offset=4 (local.get $cell)))
    (local.set $w (f32.load offset=8 (local.get $cell)))
    (local.set $usr (i32.add (i32.load offset=16 (local.get $ctx)) (i32.shl (local.get $u) (i32.const 4))))
    (local.set $lo (i32.load offset=0 (local.get $usr)))
    (local.set $mid (i32.load offset=4 (local.get $usr)))
    (local.set $hi (i32.load offset=8 (local.get $usr)))
    (if (i32.eq (local.get $type) (i32.const 2))
      (then
        ;; (U, N): the N cell's item, then a U item above it.
        (local.set $j (local.get $x))
        (local.set $need (i32.const 1)))
      (else
        (local.set $i (local.get $x))
        (if (i32.and (i32.eq (local.get $type) (i32.const 1)) (i32.gt_s (local.get $hi) (local.get $mid)))
          (then
            ;; (P, N): one of the user's own N cells.
            (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
            (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
            (local.set $cn (i32.shl (i32.add (local.get $mid)
              (call $int (local.get $t) (i32.sub (local.get $hi) (local.get $mid)))) (i32.const 2)))
            (local.set $j (i32.load (i32.add (i32.load offset=20 (local.get $ctx)) (local.get $cn))))
            (local.set $w (f32.div
              (f32.add (local.get $w) (f32.load (i32.add (i32.load offset=24 (local.get $ctx)) (local.get $cn))))
              (f32.const 2))))
          (else (local.set $need (i32.const 2))))))
    (if (local.get $need)
      (then
        ;; drawU: a uniform item outside the user's P and N blocks, at most 64 tries.
        (loop $try
          (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
          (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
          (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
          (local.set $x (call $int (local.get $t) (i32.load offset=44 (local.get $ctx))))
          (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
          (br_if $try (i32.and
            (call $inRow (local.get $ctx) (local.get $u) (local.get $x) (local.get $lo) (local.get $mid) (local.get $hi))
            (i32.lt_u (local.get $tries) (i32.const 64)))))
        (if (i32.eq (local.get $need) (i32.const 1))
          (then (local.set $i (local.get $x)))
          (else (local.set $j (local.get $x))))))
    (i32.store offset=0 (local.get $e) (local.get $u))
    (i32.store offset=4 (local.get $e) (local.get $i))
    (i32.store offset=8 (local.get $e) (local.get $j))
    (f32.store offset=12 (local.get $e) (local.get $w))
    (i32.store offset=80 (local.get $ctx) (local.get $a))
    (i32.store offset=84 (local.get $ctx) (local.get $b))
    (i32.store offset=88 (local.get $ctx) (local.get $c))
    (i32.store offset=92 (local.get $ctx) (local.get $d)))

  (func (export "train") (param $ctx i32) (param $samples i32)
    (local $P i32) (local $Q i32) (local $B i32) (local $rowBytes i32)
    (local $users i32) (local $items i32) (local $weight i32)
    (local $posCells i32) (local $nPos i32) (local $negCells i32) (local $nNeg i32) (local $nItems i32)
    (local $buf i32) (local $batch i32) (local $bloom i32) (local $bloomShift i32)
    (local $decay f32) (local $lr f64)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $t i32)
    (local $n i32) (local $e i32) (local $end i32) (local $sink i32)
    (local $type i32) (local $isN i32) (local $isPN i32) (local $cell i32) (local $cn i32)
    (local $u i32) (local $i i32) (local $j i32) (local $x i32) (local $cand i32) (local $h i32) (local $word i32)
    (local $w f32) (local $lo i32) (local $mid i32) (local $hi i32)
    (local $pu i32) (local $qi i32) (local $qj i32) (local $off i32)
    (local $acc0 v128) (local $acc1 v128) (local $vp v128) (local $va v128) (local $vb v128)
    (local $G v128) (local $D v128)
    (local $bi f32) (local $bj f32) (local $g f32) (local $ex f64) (local $en f64) (local $er f64)

    (local.set $P (i32.load offset=0 (local.get $ctx)))
    (local.set $Q (i32.load offset=4 (local.get $ctx)))
    (local.set $B (i32.load offset=8 (local.get $ctx)))
    (local.set $rowBytes (i32.load offset=12 (local.get $ctx)))
    (local.set $users (i32.load offset=16 (local.get $ctx)))
    (local.set $items (i32.load offset=20 (local.get $ctx)))
    (local.set $weight (i32.load offset=24 (local.get $ctx)))
    (local.set $posCells (i32.load offset=28 (local.get $ctx)))
    (local.set $nPos (i32.load offset=32 (local.get $ctx)))
    (local.set $negCells (i32.load offset=36 (local.get $ctx)))
    (local.set $nNeg (i32.load offset=40 (local.get $ctx)))
    (local.set $nItems (i32.load offset=44 (local.get $ctx)))
    (local.set $buf (i32.load offset=48 (local.get $ctx)))
    (local.set $batch (i32.load offset=52 (local.get $ctx)))
    (local.set $bloom (i32.load offset=56 (local.get $ctx)))
    (local.set $bloomShift (i32.load offset=60 (local.get $ctx)))
    (local.set $decay (f32.load offset=64 (local.get $ctx)))
    (local.set $lr (f64.load offset=72 (local.get $ctx)))
    (local.set $a (i32.load offset=80 (local.get $ctx)))
    (local.set $b (i32.load offset=84 (local.get $ctx)))
    (local.set $c (i32.load offset=88 (local.get $ctx)))
    (local.set $d (i32.load offset=92 (local.get $ctx)))
    (local.set $D (f32x4.splat (local.get $decay)))

    (block $finished
      (loop $fill
        (br_if $finished (i32.le_s (local.get $samples) (i32.const 0)))
        (local.set $n (select (local.get $batch) (local.get $samples)
          (i32.lt_s (local.get $batch) (local.get $samples))))
        (local.set $end (i32.add (local.get $buf) (i32.shl (local.get $n) (i32.const 6))))

        ;; Pass 1: the state before each sample and its random words (sfc32 steps, as in $drawExact).
        (local.set $e (local.get $buf))
        (loop $words
          (i32.store offset=32 (local.get $e) (local.get $a))
          (i32.store offset=36 (local.get $e) (local.get $b))
          (i32.store offset=40 (local.get $e) (local.get $c))
          (i32.store offset=44 (local.get $e) (local.get $d))
          (if (local.get $nNeg)
            (then
              (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
              (local.set $d (i32.add (local.get $d) (i32.const 1)))
              (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
              (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
              (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
              (i32.store offset=16 (local.get $e) (local.get $t))))
          (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
          (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
          (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
          (i32.store offset=20 (local.get $e) (local.get $t))
          (local.set $t (i32.add (i32.add (local.get $a) (local.get $b)) (local.get $d)))
          (local.set $d (i32.add (local.get $d) (i32.const 1)))
          (local.set $a (i32.xor (local.get $b) (i32.shr_u (local.get $b) (i32.const 9))))
          (local.set $b (i32.add (local.get $c) (i32.shl (local.get $c) (i32.const 3))))
          (local.set $c (i32.add (i32.rotl (local.get $c) (i32.const 21)) (local.get $t)))
          (i32.store offset=24 (local.get $e) (local.get $t))
          (local.set $e (i32.add (local.get $e) (i32.const 64)))
          (br_if $words (i32.lt_u (local.get $e) (local.get $end))))

        ;; Pass 2: the pair type, and the P cell (or N cell for (U, N)) the sample starts from: its user,
        ;; item and weight. Random.int is inlined here and below.
        (local.set $e (local.get $buf))
        (loop $cells
          (local.set $type (select
            (i32.trunc_f64_u (f64.mul
              (f64.mul (f64.convert_i32_u (i32.load offset=16 (local.get $e))) (f64.const 0x1p-32))
              (f64.const 3)))
            (i32.const 0)
            (local.get $nNeg)))
          (local.set $isN (i32.eq (local.get $type) (i32.const 2)))
          (i32.store offset=60 (local.get $e) (local.get $type))
          (local.set $cell (i32.add
            (select (local.get $negCells) (local.get $posCells) (local.get $isN))
            (i32.mul
              (i32.trunc_f64_u (f64.mul
                (f64.mul (f64.convert_i32_u (i32.load offset=20 (local.get $e))) (f64.const 0x1p-32))
                (f64.convert_i32_s (select (local.get $nNeg) (local.get $nPos) (local.get $isN)))))
              (i32.const 12))))
          (i32.store offset=0 (local.get $e) (i32.load offset=0 (local.get $cell)))
          (i32.store offset=28 (local.get $e) (i32.load offset=4 (local.get $cell)))
          (f32.store offset=12 (local.get $e) (f32.load offset=8 (local.get $cell)))
          (local.set $e (i32.add (local.get $e) (i32.const 64)))
          (br_if $cells (i32.lt_u (local.get $e) (local.get $end))))

        ;; Pass 3: the bounds of the user's row.
        (local.set $e (local.get $buf))
        (loop $rows
          (local.set $u (i32.add (local.get $users) (i32.shl (i32.load offset=0 (local.get $e)) (i32.const 4))))
          (i32.store offset=48 (local.get $e) (i32.load offset=0 (local.get $u)))
          (i32.store offset=52 (local.get $e) (i32.load offset=4 (local.get $u)))
          (i32.store offset=56 (local.get $e) (i32.load offset=8 (local.get $u)))
          (local.set $e (i32.add (local.get $e) (i32.const 64)))
          (br_if $rows (i32.lt_u (local.get $e) (local.get $end))))

        ;; Pass 4: the last draw: one of the user's N cells for (P, N), else a U item, which stands only if it
        ;; misses the user's row; when it hits, the sample is redone exactly and the buffer ends with it.
        (local.set $e (local.get $buf))
        (block $guessed
          (loop $third
            (local.set $type (i32.load offset=60 (local.get $e)))
            (local.set $u (i32.load offset=0 (local.get $e)))
            (local.set $x (i32.load offset=28 (local.get $e)))
            (local.set $w (f32.load offset=12 (local.get $e)))
            (local.set $t (i32.load offset=24 (local.get $e)))
            (local.set $lo (i32.load offset=48 (local.get $e)))
            (local.set $mid (i32.load offset=52 (local.get $e)))
            (local.set $hi (i32.load offset=56 (local.get $e)))
            (local.set $isPN (i32.and (i32.eq (local.get $type) (i32.const 1))
              (i32.gt_s (local.get $hi) (local.get $mid))))
            (local.set $isN (i32.eq (local.get $type) (i32.const 2)))
            ;; Both candidates are computed and one kept, so the random pair type costs no branch.
            (local.set $cn (i32.shl (i32.add (local.get $mid)
              (i32.trunc_f64_u (f64.mul (f64.mul (f64.convert_i32_u (local.get $t)) (f64.const 0x1p-32))
                (f64.convert_i32_s (i32.sub (local.get $hi) (local.get $mid))))))
              (i32.const 2)))
            (local.set $cand (i32.trunc_f64_u (f64.mul (f64.mul (f64.convert_i32_u (local.get $t)) (f64.const 0x1p-32))
              (f64.convert_i32_s (local.get $nItems)))))
            ;; The Bloom filter's word and two bits for (u, cand), as bloomHash and bloomMask in bpr-wasm.ts.
            (local.set $h (i32.add (i32.mul (local.get $u) (i32.const 0x9e3779b1)) (local.get $cand)))
            (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15))))
            (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
            (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
            (local.set $word (i32.load (i32.add (local.get $bloom)
              (i32.shl (i32.shr_u (local.get $h) (local.get $bloomShift)) (i32.const 2)))))
            (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
            (local.set $h (i32.or
              (i32.shl (i32.const 1) (i32.shr_u (local.get $h) (i32.const 27)))
              (i32.shl (i32.const 1) (i32.shr_u (local.get $h) (i32.const 22)))))
            (if (i32.and (i32.eqz (local.get $isPN)) (i32.eq (i32.and (local.get $word) (local.get $h)) (local.get $h)))
              (then
                ;; The filter cannot rule the item out: search the row, and redo the sample if it is there.
                (if (call $inRow (local.get $ctx) (local.get $u) (local.get $cand) (local.get $lo) (local.get $mid)
                      (local.get $hi))
                  (then
                    (call $drawExact (local.get $ctx) (local.get $e))
                    (local.set $a (i32.load offset=80 (local.get $ctx)))
                    (local.set $b (i32.load offset=84 (local.get $ctx)))
                    (local.set $c (i32.load offset=88 (local.get $ctx)))
                    (local.set $d (i32.load offset=92 (local.get $ctx)))
                    (local.set $end (i32.add (local.get $e) (i32.const 64)))
                    (br $guessed)))))
            (i32.store offset=4 (local.get $e) (select (local.get $cand) (local.get $x) (local.get $isN)))
            (i32.store offset=8 (local.get $e)
              (select
                (i32.load (i32.add (local.get $items) (local.get $cn)))
                (select (local.get $x) (local.get $cand) (local.get $isN))
                (local.get $isPN)))
            (f32.store offset=12 (local.get $e)
              (select
                (f32.div (f32.add (local.get $w) (f32.load (i32.add (local.get $weight) (local.get $cn))))
                  (f32.const 2))
                (local.get $w)
                (local.get $isPN)))
            (local.set $e (i32.add (local.get $e) (i32.const 64)))
            (br_if $third (i32.lt_u (local.get $e) (local.get $end)))))
        (local.set $n (i32.shr_u (i32.sub (local.get $end) (local.get $buf)) (i32.const 6)))
        (local.set $samples (i32.sub (local.get $samples) (local.get $n)))

        ;; Pass 5: touch every cache line of the samples' rows and biases (wasm has no prefetch), so the
        ;; steps find them in cache.
        (local.set $e (local.get $buf))
        (loop $touch
          (local.set $pu (i32.add (local.get $P) (i32.mul (i32.load offset=0 (local.get $e)) (local.get $rowBytes))))
          (local.set $qi (i32.add (local.get $Q) (i32.mul (i32.load offset=4 (local.get $e)) (local.get $rowBytes))))
          (local.set $qj (i32.add (local.get $Q) (i32.mul (i32.load offset=8 (local.get $e)) (local.get $rowBytes))))
          (local.set $off (i32.const 0))
          (loop $lines
            (local.set $sink (i32.xor (local.get $sink) (i32.xor
              (i32.load (i32.add (local.get $pu) (local.get $off)))
              (i32.xor (i32.load (i32.add (local.get $qi) (local.get $off)))
                (i32.load (i32.add (local.get $qj) (local.get $off)))))))
            (local.set $off (i32.add (local.get $off) (i32.const 64)))
            (br_if $lines (i32.lt_u (local.get $off) (local.get $rowBytes))))
          (local.set $off (i32.sub (local.get $rowBytes) (i32.const 4)))
          (local.set $sink (i32.xor (local.get $sink) (i32.xor
            (i32.load (i32.add (local.get $pu) (local.get $off)))
            (i32.xor (i32.load (i32.add (local.get $qi) (local.get $off)))
              (i32.load (i32.add (local.get $qj) (local.get $off)))))))
          (local.set $sink (i32.xor (local.get $sink) (i32.xor
            (i32.load (i32.add (local.get $B) (i32.shl (i32.load offset=4 (local.get $e)) (i32.const 2))))
            (i32.load (i32.add (local.get $B) (i32.shl (i32.load offset=8 (local.get $e)) (i32.const 2)))))))
          (local.set $e (i32.add (local.get $e) (i32.const 64)))
          (br_if $touch (i32.lt_u (local.get $e) (local.get $end))))

        ;; Pass 6: one SGD step per sample, in order.
        (local.set $e (local.get $buf))
        (loop $step
          (local.set $i (i32.load offset=4 (local.get $e)))
          (local.set $j (i32.load offset=8 (local.get $e)))
          (local.set $pu (i32.add (local.get $P) (i32.mul (i32.load offset=0 (local.get $e)) (local.get $rowBytes))))
          (local.set $qi (i32.add (local.get $Q) (i32.mul (local.get $i) (local.get $rowBytes))))
          (local.set $qj (i32.add (local.get $Q) (i32.mul (local.get $j) (local.get $rowBytes))))

          ;; x = b_i - b_j + p_u . (q_i - q_j), two accumulators to halve the chain of adds.
          (local.set $acc0 (f32x4.splat (f32.const 0)))
          (local.set $acc1 (f32x4.splat (f32.const 0)))
          (local.set $off (i32.const 0))
          (loop $dot
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul
              (v128.load (i32.add (local.get $pu) (local.get $off)))
              (f32x4.sub
                (v128.load (i32.add (local.get $qi) (local.get $off)))
                (v128.load (i32.add (local.get $qj) (local.get $off)))))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul
              (v128.load offset=16 (i32.add (local.get $pu) (local.get $off)))
              (f32x4.sub
                (v128.load offset=16 (i32.add (local.get $qi) (local.get $off)))
                (v128.load offset=16 (i32.add (local.get $qj) (local.get $off)))))))
            (local.set $off (i32.add (local.get $off) (i32.const 32)))
            (br_if $dot (i32.lt_u (local.get $off) (local.get $rowBytes))))
          (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
          (local.set $bi (f32.load (i32.add (local.get $B) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $bj (f32.load (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2)))))

          ;; g = w sigma(-x) lr, in f64 as the reference, then rounded to f32; $exp inlined.
          (local.set $ex (f64.min (f64.max
            (f64.promote_f32 (f32.add (f32.sub (local.get $bi) (local.get $bj))
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
                (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0))))))
            (f64.const -700)) (f64.const 700)))
          (local.set $en (f64.nearest (f64.mul (local.get $ex) (f64.const 1.4426950408889634))))
          (local.set $er
            (f64.sub
              (f64.sub (local.get $ex) (f64.mul (local.get $en) (f64.const 0.6931471803691238)))
              (f64.mul (local.get $en) (f64.const 1.9082149292705877e-10))))
          (local.set $ex (f64.mul
            (f64.add (f64.const 1)
              (f64.mul (local.get $er)
                (f64.add (f64.const 1)
                  (f64.mul (local.get $er)
                    (f64.add (f64.const 0.5)
                      (f64.mul (local.get $er)
                        (f64.add (f64.const 0.16666666666666666)
                          (f64.mul (local.get $er)
                            (f64.add (f64.const 0.041666666666666664)
                              (f64.mul (local.get $er)
                                (f64.add (f64.const 0.008333333333333333)
                                  (f64.mul (local.get $er)
                                    (f64.add (f64.const 0.001388888888888889)
                                      (f64.mul (local.get $er)
                                        (f64.add (f64.const 0.0001984126984126984)
                                          (f64.mul (local.get $er) (f64.const 0.0000248015873015873)))))))))))))))))
            (f64.reinterpret_i64
              (i64.shl (i64.add (i64.trunc_sat_f64_s (local.get $en)) (i64.const 1023)) (i64.const 52)))))
          (local.set $g (f32.demote_f64 (f64.mul
            (f64.div (f64.promote_f32 (f32.load offset=12 (local.get $e))) (f64.add (f64.const 1) (local.get $ex)))
            (local.get $lr))))
          (f32.store (i32.add (local.get $B) (i32.shl (local.get $i) (i32.const 2)))
            (f32.add (local.get $bi) (f32.sub (local.get $g) (f32.mul (local.get $decay) (local.get $bi)))))
          ;; Read again: i = j only when drawU gave up, and then the reference sees the first update.
          (local.set $bj (f32.load (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2)))))
          (f32.store (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2)))
            (f32.add (local.get $bj) (f32.sub (f32.neg (local.get $g)) (f32.mul (local.get $decay) (local.get $bj)))))

          (local.set $G (f32x4.splat (local.get $g)))
          (local.set $off (i32.const 0))
          (loop $update
            (local.set $vp (v128.load (i32.add (local.get $pu) (local.get $off))))
            (local.set $va (v128.load (i32.add (local.get $qi) (local.get $off))))
            (local.set $vb (v128.load (i32.add (local.get $qj) (local.get $off))))
            (v128.store (i32.add (local.get $pu) (local.get $off))
              (f32x4.sub
                (f32x4.add (local.get $vp) (f32x4.mul (local.get $G) (f32x4.sub (local.get $va) (local.get $vb))))
                (f32x4.mul (local.get $D) (local.get $vp))))
            (v128.store (i32.add (local.get $qi) (local.get $off))
              (f32x4.sub
                (f32x4.add (local.get $va) (f32x4.mul (local.get $G) (local.get $vp)))
                (f32x4.mul (local.get $D) (local.get $va))))
            (v128.store (i32.add (local.get $qj) (local.get $off))
              (f32x4.sub
                (f32x4.sub (local.get $vb) (f32x4.mul (local.get $G) (local.get $vp)))
                (f32x4.mul (local.get $D) (local.get $vb))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br_if $update (i32.lt_u (local.get $off) (local.get $rowBytes))))

          (local.set $e (i32.add (local.get $e) (i32.const 64)))
          (br_if $step (i32.lt_u (local.get $e) (local.get $end))))
        (br $fill)))

    (i32.store offset=80 (local.get $ctx) (local.get $a))
    (i32.store offset=84 (local.get $ctx) (local.get $b))
    (i32.store offset=88 (local.get $ctx) (local.get $c))
    (i32.store offset=92 (local.get $ctx) (local.get $d))
    (i32.store offset=96 (local.get $ctx) (local.get $sink))))
