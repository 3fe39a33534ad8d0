# Compiling and linking C: objects, a static and a shared library, checked
# with binutils. (Running what the program built is refused by design under
# the default policy, as on a noexec mount: docs/compat.md.)
set -e
cat > add.c <<'C'
int add(int a, int b) { return a + b; }
C
cat > mul.c <<'C'
int mul(int a, int b) { return a * b; }
C
cat > main.c <<'C'
#include <stdio.h>
#include <math.h>
int add(int, int); int mul(int, int);
int main(void) { printf("%d %d %.3f\n", add(2, 3), mul(4, 5), sqrt(2.0)); return 3; }
C
gcc -O2 -Wall -c add.c mul.c
ar rcs libops.a add.o mul.o
gcc -O2 -Wall -o prog main.c -L. -lops -lm
gcc -shared -fPIC -o libops.so add.c mul.c
gcc -o prog2 main.c -L. -lops -lm -Wl,-rpath,'$ORIGIN'
set +e
readelf -h prog | grep -E 'Type|Machine' | tr -s ' '
readelf -d prog2 | grep -E 'NEEDED|RUNPATH' | sed 's/.*(//' | sort
objdump -d prog | grep -c '<add>:'
nm libops.a | grep ' T ' | sort
gcc -E -dM - < /dev/null | grep -c __x86_64__
echo 'int main(void){return undefined_fn();}' > bad.c; gcc bad.c -o bad 2>/dev/null; echo "link failed: $?"
