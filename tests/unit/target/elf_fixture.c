/* elf_fixture.c - a small program with known symbols, for the ELF reader tests. */
const char hw_fixture_rodata[] = "fixture rodata bytes";
int hw_fixture_array[7] = {1, 2, 3, 4, 5, 6, 7};
__attribute__((used)) static int hw_fixture_static = 42;

int hw_fixture_func(int x);
int hw_fixture_func(int x)
{
	return x + hw_fixture_static + hw_fixture_rodata[0];
}

int main(void)
{
	return hw_fixture_func(hw_fixture_array[0]) == 0;
}
