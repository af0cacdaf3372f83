/* bench/guest/nop: exits 0 at once; what spawn execs. */
#include "sys.h"

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 0;
}
