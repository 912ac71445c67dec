package dev.prefork.bench.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.Index;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;

@Entity
@Table(indexes = @Index(columnList = "category"))
public class Product {

	@Id
	@GeneratedValue
	private Long id;

	private String name;

	private String category;

	private String description;

	private BigDecimal price;

	@OneToMany(mappedBy = "product", cascade = CascadeType.ALL)
	@OrderBy("stars desc")
	private List<Review> reviews = new ArrayList<>();

	protected Product() {
	}

	Product(String name, String category, String description, BigDecimal price) {
		this.name = name;
		this.category = category;
		this.description = description;
		this.price = price;
	}

	public Long getId() {
		return this.id;
	}

	public String getName() {
		return this.name;
	}

	public String getCategory() {
		return this.category;
	}

	public String getDescription() {
		return this.description;
	}

	public BigDecimal getPrice() {
		return this.price;
	}

	public List<Review> getReviews() {
		return this.reviews;
	}

	public double getAverageStars() {
		return this.reviews.stream().mapToInt(Review::getStars).average().orElse(0);
	}

}
