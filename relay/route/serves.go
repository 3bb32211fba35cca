package route

import (
	"slices"

	"github.com/msgrelay/relay/relay/message"
)

// Serves lists, for each product some rule takes, every carrier (weighted
// or failover) a message of that product may go to, in rule order.
func (r *Router) Serves() map[message.Product][]string {
	out := map[message.Product][]string{}
	for _, ru := range r.rules {
		products := ru.products
		if len(products) == 0 {
			products = []message.Product{message.ProductSMS, message.ProductLMS}
		}
		ru.mu.Lock()
		names := append(slices.Clone(ru.mu.names), ru.failover...)
		ru.mu.Unlock()
		for _, p := range products {
			for _, n := range names {
				if !slices.Contains(out[p], n) {
					out[p] = append(out[p], n)
				}
			}
		}
	}
	return out
}
