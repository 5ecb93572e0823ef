/* fmt_text.c */
