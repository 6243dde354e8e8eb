// The pod sandbox ("pause") program of the local node; standard library only.
module alchemiser.dev/hack/pause

go 1.25.0
