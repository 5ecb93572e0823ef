/* fmt_csv.c */
