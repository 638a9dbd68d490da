//go:build race

package ioc

func init() { benchN = 20_000 }
