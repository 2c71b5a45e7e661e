/* owners.h — `pod-pause owners ROOT LIST`: a layer's file owners set inside a user namespace (owners.c). */
#ifndef POD_INIT_OWNERS_H
#define POD_INIT_OWNERS_H

int owners_main(int argc, char **argv);

#endif
