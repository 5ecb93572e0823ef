/*
 * page.h - internal to the CLI: the walk behind 'map' and 'report' (heap
 * maps, and sites for the HTML page), shared by the single-core page
 * (cmd_map.c) and the instance and growth pages (cmd_report.c).
 */
#ifndef HEAPWALK_CLI_PAGE_H
#define HEAPWALK_CLI_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* Heap map cells of one process's pkg on an instance page (unless --cells). */
#define HW_PAGE_PROC_CELLS 1024

/*
 * Walk every prepared pool of @s once: a heap map (pr->map) of about
 * @pkg_cells or @shm_cells cells and, with @sites, the used fragments by
 * site (resolved, sorted by bytes into pr->rows, cut to @top, 0: all).
 * Returns an exit code (0: go on); the reason for a failure is said on
 * stderr.
 */
int hw_page_walk(struct hw_session *s, uint32_t pkg_cells, uint32_t shm_cells, bool sites,
		 uint64_t top);

/* -o FILE (or stdout); NULL after saying why it cannot be written. */
FILE *hw_page_open(const struct hw_cli *cli);
/* Close what hw_page_open gave; an exit code (2 when the file could not be written). */
int hw_page_close(const struct hw_cli *cli, FILE *out);

/* cmd_report.c: report of an instance (--all), with --watch, or of two inputs. */
int hw_report_instance(struct hw_cli *cli);

#endif
