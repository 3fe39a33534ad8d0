# A git workflow: init, commits on two branches, a merge with a conflict
# resolved by hand, a tag, a log and a clone.
set -e
export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@x GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@x
export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
git init -q -b main repo; cd repo
git config core.hooksPath /dev/null
printf 'one\ntwo\nthree\n' > f.txt; git add f.txt; git commit -qm first
git checkout -qb feature
sed -i 's/two/TWO feature/' f.txt; echo new > g.txt; git add -A; git commit -qm feature
git checkout -q main
sed -i 's/two/two main/' f.txt; git commit -qam main
git merge feature >/dev/null 2>&1 && echo merged || echo conflict
git diff --name-only --diff-filter=U
printf 'one\ntwo both\nthree\n' > f.txt; git add f.txt; git commit -qm merge
git tag v1
git log --oneline --graph | wc -l
git log --format='%s %an' main
git rev-parse HEAD
cat f.txt g.txt
cd ..; git clone -q repo copy; git -C copy describe --tags; git -C copy status --porcelain | wc -l
git -C repo gc -q && git -C repo fsck --no-progress 2>&1 | wc -l
