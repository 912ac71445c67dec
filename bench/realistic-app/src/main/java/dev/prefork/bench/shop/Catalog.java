package dev.prefork.bench.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Fills the embedded database with the same 2,000 products and 10,000 reviews in every worker. */
@Component
class Catalog implements ApplicationRunner {

	private static final String[] CATEGORIES = { "books", "garden", "kitchen", "music", "office", "outdoor", "tools",
			"toys" };

	private static final String[] WORDS = { "red", "large", "quiet", "steel", "classic", "compact", "wooden", "smart",
			"travel", "deluxe", "mini", "solar", "vintage", "pro", "soft", "rapid" };

	private final ProductRepository products;

	Catalog(ProductRepository products) {
		this.products = products;
	}

	@Override
	@Transactional
	public void run(ApplicationArguments args) {
		if (this.products.count() > 0) {
			return;
		}
		Random random = new Random(42);
		List<Product> batch = new ArrayList<>();
		for (int i = 0; i < 2000; i++) {
			String name = WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " item " + i;
			Product product = new Product(name, CATEGORIES[i % CATEGORIES.length],
					"A " + name + " for everyday use, number " + i + " of our catalog.",
					BigDecimal.valueOf(100 + random.nextInt(99_900), 2));
			for (int r = 0; r < 5; r++) {
				product.getReviews().add(new Review(product, 1 + random.nextInt(5), "customer" + random.nextInt(500),
						"Review " + r + " of " + name + ": " + WORDS[random.nextInt(WORDS.length)] + " and "
								+ WORDS[random.nextInt(WORDS.length)] + "."));
			}
			batch.add(product);
		}
		this.products.saveAll(batch);
	}

}
