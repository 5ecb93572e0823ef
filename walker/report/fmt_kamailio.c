/* fmt_kamailio.c */
