package dev.prefork.bench.shop;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.server.ResponseStatusException;

@Controller
@Transactional(readOnly = true)
class ShopController {

	private final ProductRepository products;

	ShopController(ProductRepository products) {
		this.products = products;
	}

	@GetMapping("/")
	String home(@RequestParam(defaultValue = "0") int page, Model model) {
		model.addAttribute("categories", this.products.categories());
		model.addAttribute("products", this.products.findAll(PageRequest.of(page, 20, Sort.by("price"))));
		return "list";
	}

	@GetMapping("/category/{category}")
	String category(@PathVariable String category, @RequestParam(defaultValue = "0") int page, Model model) {
		model.addAttribute("categories", this.products.categories());
		model.addAttribute("products", this.products.findByCategory(category, PageRequest.of(page, 20, Sort.by("name"))));
		return "list";
	}

	@GetMapping("/products/{id}")
	String product(@PathVariable long id, Model model) {
		model.addAttribute("product", this.products.findWithReviews(id)
			.orElseThrow(() -> new ResponseStatusException(HttpStatus.NOT_FOUND)));
		return "product";
	}

	@GetMapping("/search")
	String search(@RequestParam String q, Model model) {
		model.addAttribute("categories", this.products.categories());
		model.addAttribute("query", q);
		model.addAttribute("results", this.products.findTop20ByNameContainingIgnoreCaseOrderByPriceAsc(q));
		return "search";
	}

}
