// Package cmd holds budgetrain's cobra commands. It is the only package that reads
// configuration (viper), draws progress bars or exits the process; everything below it takes
// typed config structs and io.Writers.
package cmd
