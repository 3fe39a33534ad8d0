# A parallel make: 40 generated targets and a final one, -j4, then a no-op rerun.
set -e
{
	echo 'N := $(shell seq 1 40)'
	echo 'all: total.txt'
	echo 'part%.txt: ; @echo $$(( $* * $* )) > $@'
	echo 'total.txt: $(N:%=part%.txt) ; @cat $^ | awk "{ s += \$$1 } END { print s }" > $@'
	echo 'clean: ; rm -f part*.txt total.txt'
} > Makefile
make -j4 -s
cat total.txt
ls part*.txt | wc -l
make -j4 -q && echo up-to-date
touch -d '2000-01-01' part1.txt; make -s -j4 && echo rebuilt
make -s clean; ls | sort
