/*
 * hello (built as hello32): the suite's native probe for 32-bit programs.
 * Prints "hello from i386" and exits 0 where the kernel runs i386 programs
 * (elsewhere the exec itself fails: Exec format error).
 */
#include <stdio.h>

int main(void)
{
	puts(sizeof(void *) == 4 ? "hello from i386" : "not a 32-bit build");
	return 0;
}
