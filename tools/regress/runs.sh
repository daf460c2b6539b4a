#!/bin/bash
# Reference runs made with one build; rerun with another binary into another dir to compare.
D=${1:?bin}; O=${2:?outdir}
mkdir -p $O; cd "$(dirname "$0")/../.."
set -x
$D search --dataset mnist --limit 800 --epochs 2 --layers 3 --init-channels 4 --batch-size 16 --out $O/s1 --no-plots
$D search --dataset mnist --limit 600 --epochs 2 --layers 3 --init-channels 4 --batch-size 16 --order 2 --out $O/s2 --no-plots
$D search --dataset synthetic --input-shape 3x16x16 --classes 5 --limit 400 --epochs 2 --layers 4 --init-channels 4 --nodes 3 --batch-size 16 --ops none,skip_connect,sep_conv_3x3,max_pool_3x3,dil_conv_3x3 --train-portion 0.5 --out $O/s3 --no-plots
$D train --genotype genotypes/mnist-search-1.json --dataset mnist --limit 600 --epochs 2 --layers 3 --init-channels 8 --auxiliary --drop-path 0.2 --batch-size 32 --out $O/t1
$D train --genotype genotypes/darts-v2.json --dataset synthetic --input-shape 3x16x16 --classes 5 --limit 300 --epochs 2 --layers 4 --init-channels 6 --cutout 6 --drop-path 0.3 --batch-size 24 --out $O/t2
$D train --run $O/s3 --dataset synthetic --input-shape 3x16x16 --classes 5 --limit 300 --epochs 1 --layers 4 --init-channels 6 --batch-size 24 --out $O/t3
$D eval --run $O/t1 > $O/eval1.txt
$D derive --random 1 > $O/rand1.txt
$D derive --random 7 --ops none,skip_connect,sep_conv_3x3 --nodes 3 --json > $O/rand7.json
$D derive --run $O/s1 --epoch 1 > $O/derive_s1_e1.txt
$D export --genotype genotypes/darts-v2.json --format dot > $O/v2.dot
$D export --genotype genotypes/darts-v2.json --format darts > $O/v2.txt
$D export --genotype genotypes/darts-v2.json --format json > $O/v2.json
$D train --genotype genotypes/darts-v2.json --dataset synthetic --input-shape 3x32x32 --classes 10 --layers 20 --init-channels 36 --auxiliary --dry-run > $O/dry.txt
$D search --dataset synthetic --input-shape 1x8x8 --classes 3 --limit 64 --epochs 1 --layers 3 --init-channels 2 --batch-size 8 --out $O/s4 --no-plots
# resume path: kill-free: run 1 epoch then extend to 2
$D search --dataset mnist --limit 400 --epochs 1 --layers 3 --init-channels 4 --batch-size 16 --out $O/s5 --no-plots
$D search --resume --epochs 2 --out $O/s5 --no-plots
