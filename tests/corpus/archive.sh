# An archive round trip with tar, gzip, xz and zstd, checked with diff -r.
set -e
mkdir -p src/sub/deeper src/empty
for i in $(seq 1 50); do head -c $((i * 97)) /dev/zero | tr '\0' "$(printf '\\%03o' $((65 + i % 26)))" > "src/sub/file$i"; done
echo hello > src/deeper.txt; ln -s deeper.txt src/link; chmod 640 src/sub/file1
tar -cf a.tar src; tar -czf a.tgz src; tar -cJf a.txz src; tar --zstd -cf a.tzst src
zstd -q -19 a.tar -o a.tar.zst; xz -k a.tar; gzip -k a.tar
for f in a.tar a.tgz a.txz a.tzst; do rm -rf out; mkdir out; tar -xf "$f" -C out; diff -r src out/src && echo "$f same"; done
zstd -dq a.tar.zst -o b.tar; cmp a.tar b.tar && echo zst same
xz -dc a.tar.xz | cmp - a.tar && echo xz same
gzip -dc a.tar.gz | cmp - a.tar && echo gz same
tar -tvf a.tar | awk '{ print $1, $NF }' | sort
stat -c '%a %N' out/src/sub/file1 out/src/link
