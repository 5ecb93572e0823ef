/* cu_decl.c - test input: a unit where struct fm_block is only declared (linked first). */
struct fm_block;
typedef struct fm_block fm_block_t;

fm_block_t *fm_decl_ptr;

static int decl_static_counter = 7;

void *decl_static_addr(void);

void *decl_static_addr(void)
{
	decl_static_counter++;
	return &decl_static_counter;
}
