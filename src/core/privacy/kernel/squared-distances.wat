;; Squared Euclidean distances between two sets of rows, in float32 with f32x4: what the IVF build spends
;; nearly all its time on (400k words × 632 centroids × 50 dimensions ≈ 12.6 G multiply-adds to file every
;; word, and every pair within each list for Δ_min). usearch's exact scan and a plain JavaScript loop both ran
;; at about 0.5 G multiply-adds a second here; this runs several times faster. Assembled by
;; scripts/build-wasm.mjs; squared-distances.ts lays out the memory.
;;
;; `distances(a, m, b, p, rowBytes, out)`: out[i·p + l] = ‖a_i − b_l‖² for the m rows at a and the p rows at
;; b. Rows are rowBytes apart (a multiple of 16) and zero-padded past the dimensions, so padding adds 0.
;; Each row of a is taken against four rows of b at once: four independent sums hide the add latency and
;; every load of a serves four rows.
(module
  (import "env" "memory" (memory 1 65536))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func (export "distances")
    (param $a i32) (param $m i32) (param $b i32) (param $p i32) (param $rowBytes i32) (param $out i32)
    (local $i i32) (local $l i32) (local $j i32) (local $ai i32) (local $b0 i32) (local $o i32)
    (local $x v128) (local $t v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $r2 i32) (local $r3 i32)
    (local.set $r2 (i32.mul (local.get $rowBytes) (i32.const 2)))
    (local.set $r3 (i32.mul (local.get $rowBytes) (i32.const 3)))
    (local.set $o (local.get $out))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $l (i32.const 0))
        ;; Four rows of b at a time.
        (block $quadsDone
          (loop $quads
            (br_if $quadsDone (i32.gt_u (i32.add (local.get $l) (i32.const 4)) (local.get $p)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $l) (local.get $rowBytes))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (loop $dims
              (local.set $x (v128.load (i32.add (local.get $ai) (local.get $j))))
              (local.set $t (f32x4.sub (local.get $x)
                (v128.load (i32.add (local.get $b0) (local.get $j)))))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $t) (local.get $t))))
              (local.set $t (f32x4.sub (local.get $x)
                (v128.load (i32.add (i32.add (local.get $b0) (local.get $rowBytes)) (local.get $j)))))
              (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $t) (local.get $t))))
              (local.set $t (f32x4.sub (local.get $x)
                (v128.load (i32.add (i32.add (local.get $b0) (local.get $r2)) (local.get $j)))))
              (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $t) (local.get $t))))
              (local.set $t (f32x4.sub (local.get $x)
                (v128.load (i32.add (i32.add (local.get $b0) (local.get $r3)) (local.get $j)))))
              (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $t) (local.get $t))))
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br_if $dims (i32.lt_u (local.get $j) (local.get $rowBytes))))
            (f32.store offset=0 (local.get $o) (call $hsum (local.get $s0)))
            (f32.store offset=4 (local.get $o) (call $hsum (local.get $s1)))
            (f32.store offset=8 (local.get $o) (call $hsum (local.get $s2)))
            (f32.store offset=12 (local.get $o) (call $hsum (local.get $s3)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $l (i32.add (local.get $l) (i32.const 4)))
            (br $quads)))
        ;; The last p mod 4 rows of b, one at a time.
        (block $restDone
          (loop $rest
            (br_if $restDone (i32.ge_u (local.get $l) (local.get $p)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $l) (local.get $rowBytes))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (loop $dims1
              (local.set $t (f32x4.sub
                (v128.load (i32.add (local.get $ai) (local.get $j)))
                (v128.load (i32.add (local.get $b0) (local.get $j)))))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $t) (local.get $t))))
              (local.set $j (i32.add (local.get $j) (i32.const 16)))
              (br_if $dims1 (i32.lt_u (local.get $j) (local.get $rowBytes))))
            (f32.store (local.get $o) (call $hsum (local.get $s0)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $l (i32.add (local.get $l) (i32.const 1)))
            (br $rest)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))))
