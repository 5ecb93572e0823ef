/* fmt_json.c */
