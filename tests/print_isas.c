/* Prints the ISAs this machine can run, best last: the per-ISA loop of scripts/test.sh. */
#include <stdio.h>

#include <recur/recur.h>

int main(void)
{
    for (int i = 0; i < RECUR_ISA_COUNT; i++)
        if (recur_isa_supported((recur_isa)i))
            printf("%s\n", recur_isa_to_name((recur_isa)i));
    return 0;
}
