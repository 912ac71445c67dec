package dev.prefork.bench.shop;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;

@Entity
public class Review {

	@Id
	@GeneratedValue
	private Long id;

	@ManyToOne(fetch = FetchType.LAZY)
	private Product product;

	private int stars;

	private String author;

	private String text;

	protected Review() {
	}

	Review(Product product, int stars, String author, String text) {
		this.product = product;
		this.stars = stars;
		this.author = author;
		this.text = text;
	}

	public int getStars() {
		return this.stars;
	}

	public String getAuthor() {
		return this.author;
	}

	public String getText() {
		return this.text;
	}

}
