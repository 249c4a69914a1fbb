#!/bin/sh
# hpcest: submit 6 job(s) as one dependency graph
set -u

hpcest_names=x_1_00000000_step0,x_1_00000000_step1_a0,x_1_00000000_step1_a1,x_1_00000000_step1-controller,x_1_00000000_step1,x_1_00000000_step2
hpcest_sep=$(printf '\037')
# The names go to squeue 500 at a time: one --name= list of a few thousand would pass Linux's
# 128 KiB limit on a single argument. A chunk without an answer: nothing is known by name (the
# job_id files still are).
hpcest_known=$(printf '%s\n' "$hpcest_names" | tr ',' '\n' |
  awk -v n=500 '{l = l (l == "" ? "" : ",") $0} NR % n == 0 {print l; l = ""} END {if (l != "") print l}' |
  while read -r hpcest_chunk; do
    squeue --noheader --states=all --name="$hpcest_chunk" --format="%j$hpcest_sep%A" 2>/dev/null || exit 1
  done) || hpcest_known=

# hpcest_after DIR ID [DIR ID ...]: "afterok:ID:ID" for the jobs that have not already completed.
hpcest_after() {
  hpcest_dep=
  while [ $# -gt 1 ]; do
    if [ "$(cat "$1/exit_code" 2>/dev/null)" != 0 ]; then hpcest_dep="$hpcest_dep:$2"; fi
    shift 2
  done
  if [ -n "$hpcest_dep" ]; then hpcest_dep="afterok$hpcest_dep"; fi
}

# hpcest_submit NAME DIR SCRIPT DEPENDENCY: sets hpcest_id; submits only a job not already there.
# $hpcest_opts (sbatch options, word-split) and $hpcest_iddir (where job_id goes) apply to one call.
hpcest_submit() {
  hpcest_id= hpcest_how= hpcest_i=${hpcest_iddir:-$2}
  if [ -s "$hpcest_i/job_id" ]; then
    hpcest_id=$(cat "$hpcest_i/job_id") hpcest_how=recorded
  elif [ -n "$hpcest_known" ]; then
    hpcest_id=$(printf '%s\n' "$hpcest_known" | awk -F "$hpcest_sep" -v n="$1" '$1 == n {print $2; exit}')
    [ -n "$hpcest_id" ] && hpcest_how=found
  fi
  if [ -z "$hpcest_id" ]; then
    if [ -n "$4" ]; then
      hpcest_out=$(sbatch --parsable --chdir="$2" $hpcest_opts \
        --dependency="$4" --kill-on-invalid-dep=yes "$3") || exit 1
    else
      hpcest_out=$(sbatch --parsable --chdir="$2" $hpcest_opts "$3") || exit 1
    fi
    hpcest_id=$(printf '%s\n' "$hpcest_out" | tail -n 1)
    hpcest_id=${hpcest_id%%;*}
    case $hpcest_id in
      ''|*[!0-9]*) echo "hpcest: sbatch printed no job id for $1: $hpcest_out" >&2; exit 1 ;;
    esac
    hpcest_how=submitted
    hpcest_f="$hpcest_i/job_id"
    mkdir -p "$hpcest_i" && printf '%s\n' "$hpcest_id" > "$hpcest_f.tmp" && mv -f "$hpcest_f.tmp" "$hpcest_f"
  fi
  hpcest_opts= hpcest_iddir=
  printf 'hpcest-job %s %s %s\n' "$1" "$hpcest_id" "$hpcest_how"
}
hpcest_opts= hpcest_iddir=
# hpcest_record TEMPLATE TARGET: the template's lines with the job id filled in, appended to TARGET.
hpcest_record() {
  sed "s/@HPCEST_JOB_ID@/$hpcest_id/g" "$1" >> "$2" || exit 1
}

hpcest_dep=
hpcest_submit x_1_00000000_step0 /w/runs/x_1_00000000/steps/x_1_00000000_step0 /w/runs/x_1_00000000/steps/x_1_00000000_step0/job.sbatch "$hpcest_dep"
hpcest_j0=$hpcest_id
hpcest_opts='--array=0-1%2 --export=ALL,HPCEST_TASK_OFFSET=0 --job-name=x_1_00000000_step1_a0' hpcest_iddir=/w/runs/x_1_00000000/steps/x_1_00000000_step1/graph/array-0
hpcest_after /w/runs/x_1_00000000/steps/x_1_00000000_step0 "$hpcest_j0"
hpcest_submit x_1_00000000_step1_a0 /w/runs/x_1_00000000/steps/x_1_00000000_step1 /w/runs/x_1_00000000/steps/x_1_00000000_step1/job.sbatch "$hpcest_dep"
if [ "$hpcest_how" = submitted ]; then hpcest_record /w/runs/x_1_00000000/steps/x_1_00000000_step1/graph/array-0/trials.in /w/runs/x_1_00000000/steps/x_1_00000000_step1/trials.jsonl; fi
hpcest_j1=$hpcest_id
hpcest_opts='--array=0%2 --export=ALL,HPCEST_TASK_OFFSET=2 --job-name=x_1_00000000_step1_a1' hpcest_iddir=/w/runs/x_1_00000000/steps/x_1_00000000_step1/graph/array-1
hpcest_after /w/runs/x_1_00000000/steps/x_1_00000000_step0 "$hpcest_j0"
hpcest_dep="${hpcest_dep:+$hpcest_dep,}afterany:$hpcest_j1"
hpcest_submit x_1_00000000_step1_a1 /w/runs/x_1_00000000/steps/x_1_00000000_step1 /w/runs/x_1_00000000/steps/x_1_00000000_step1/job.sbatch "$hpcest_dep"
if [ "$hpcest_how" = submitted ]; then hpcest_record /w/runs/x_1_00000000/steps/x_1_00000000_step1/graph/array-1/trials.in /w/runs/x_1_00000000/steps/x_1_00000000_step1/trials.jsonl; fi
hpcest_j2=$hpcest_id
hpcest_opts=--job-name=x_1_00000000_step1-controller hpcest_iddir=/w/runs/x_1_00000000/steps/x_1_00000000_step1/graph/controller
hpcest_after /w/runs/x_1_00000000/steps/x_1_00000000_step0 "$hpcest_j0"
hpcest_submit x_1_00000000_step1-controller /w/runs/x_1_00000000/steps/x_1_00000000_step1 /w/runs/x_1_00000000/steps/x_1_00000000_step1/controller.sbatch "$hpcest_dep"
hpcest_j3=$hpcest_id
hpcest_after /w/runs/x_1_00000000/steps/x_1_00000000_step0 "$hpcest_j0"
hpcest_dep="${hpcest_dep:+$hpcest_dep,}afterany:$hpcest_j1:$hpcest_j2:$hpcest_j3"
hpcest_submit x_1_00000000_step1 /w/runs/x_1_00000000/steps/x_1_00000000_step1 /w/runs/x_1_00000000/steps/x_1_00000000_step1/finish.sbatch "$hpcest_dep"
hpcest_j4=$hpcest_id
hpcest_after /w/runs/x_1_00000000/steps/x_1_00000000_step1 "$hpcest_j4"
hpcest_submit x_1_00000000_step2 /w/runs/x_1_00000000/steps/x_1_00000000_step2 /w/runs/x_1_00000000/steps/x_1_00000000_step2/job.sbatch "$hpcest_dep"
hpcest_j5=$hpcest_id
