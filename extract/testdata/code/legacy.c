#include <stdio.h>
/* Quokka smile counter */
int quokka_smiles(int days) { return days * 7; }
