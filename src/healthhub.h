/*
 * healthhub.h
 *		What the module entry point (healthhub.c) shares with the areas.
 */
#ifndef HH_HEALTHHUB_H
#define HH_HEALTHHUB_H

/* healthhub.restoring: a restore is running in this session */
extern bool healthhub_restoring;

#endif
