# A shell text pipeline: generate, count, sort, join, rewrite.
set -e
for i in $(seq 1 300); do echo "user$((i % 17)) $((i * 7 % 101)) item$((i % 5))"; done > log.txt
awk '{ s[$1] += $2 } END { for (u in s) print u, s[u] }' log.txt | sort -k2,2nr -k1,1 | head -n 5
cut -d' ' -f3 log.txt | sort | uniq -c | sort -rn | sed 's/^ *//'
grep -c 'user1 ' log.txt
tr 'a-z' 'A-Z' < log.txt | head -n 2
sort -u -k3,3 log.txt | wc -l
seq 1 20 | xargs -n 5 echo | paste -sd'|'
printf 'b 2\na 1\n' | sort > x; printf 'a one\nb two\n' > y; join x y
find . -maxdepth 1 -type f -name '*.txt' | sort
sed -n '10,12p' log.txt | rev
md5sum < log.txt
